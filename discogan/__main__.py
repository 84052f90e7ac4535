"""`python -m discogan`: the commands, one line each (each one's --help tells the rest)."""
COMMANDS = {
    "image_split": "split pix2pix side-by-side pairs into trainA/ (sketches) and trainB/ (photos)",
    "make_unpaired": "build an unpaired dataset from two image folders (e.g. handbags <-> shoes)",
    "train process_main": "train DiscoGAN on a dataset folder (--demo: the built-in synthetic bags)",
    "translate": "translate your own images with a trained model",
    "export": "write a TensorFlow SavedModel (TF Serving layout) of a trained model",
    "evaluate": "score a trained model on a held-out split against reference translators",
    "app": "sketch in the browser: a local web page that translates a drawing as you draw it",
}


def main():
    print("discogan: DiscoGAN unpaired image translation for fashion. Commands:\n")
    for command, summary in COMMANDS.items():
        print(f"  python -m discogan.{command:<20} {summary}")
    print("\nAdd --help to any command for its flags.")


if __name__ == "__main__":
    main()
