"""Images and datasets: files in and out, the tf.data training input, the demo datasets, the tools' output folders."""
