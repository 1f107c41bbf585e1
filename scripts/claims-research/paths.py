"""Where the research scripts read and write: generated files (embeddings, features, scores) go
to `out/` beside the scripts (git-ignored); the eval sets are in ../shared beside the repository."""
import os

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(SCRIPTS, "../.."))
HERE = os.path.join(SCRIPTS, "out")
SHARED = os.path.normpath(os.path.join(REPO, "../shared"))
os.makedirs(HERE, exist_ok=True)
