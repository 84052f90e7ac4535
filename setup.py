"""Install the discogan package: `pip install -e .` (add `[test,browser]` for the tests)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
REQUIREMENTS = [line.strip() for line in (HERE / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

setup(
    name="discogan",
    version="0.1.0",
    description="DiscoGAN unpaired image-to-image translation for fashion (sketches, bags, shoes) "
                "in TensorFlow compat.v1 graph mode.",
    long_description=(HERE / "README.md").read_text() if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["discogan", "discogan.*"]),
    package_data={"discogan": ["app_page.html"]},  # the page python -m discogan.app serves
    python_requires=">=3.9",
    install_requires=REQUIREMENTS,
    # gpu: TensorFlow with the CUDA libraries it was built against, for NVIDIA GPUs on Linux.
    # test: pytest-xdist runs the tests on every core, as most of a test's time is one thread building its graph.
    # browser: Playwright for tests/test_app_browser.py, which drives Debian's Chromium (apt-get install chromium).
    extras_require={"test": ["pytest>=7", "pytest-xdist>=3"], "browser": ["playwright>=1.40", "pytest-playwright>=0.4"],
                    "gpu": ["tensorflow[and-cuda]>=2.16,<3"]},
)
