"""Print the installed versions of the packages latentaudio's behaviour depends on most (CI logs them first)."""

from importlib import metadata

KEY_PACKAGES = ("torch", "torchaudio", "diffusers", "transformers", "accelerate", "peft", "pytest", "numpy")

if __name__ == "__main__":
    for name in KEY_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{name:>12} {version}")
