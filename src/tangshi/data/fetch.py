"""Fetch the chinese-poetry corpus (npm package or local copy) into data/raw/.

Only the files later stages read are kept:
  data/raw/tang/poet.tang.N.json     全唐诗, traditional script
  data/raw/song/poet.song.N.json     Song poems (for pretraining vectors)
  data/raw/strains/poet.tang.N.json  平/仄 pattern of each Tang poem, joined by id
  data/raw/mengxue/                  唐诗三百首 and 声律启蒙, the judge's validation sets (data/mengxue.py)
"""

import base64
import hashlib
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import platformdirs

from ..atomic import atomic_path
from ..errors import TangshiError

# npm's `integrity` of each package version we accept; a tarball must match it.
PINNED_INTEGRITY = {
    "chinese-poetry@2.0.1": "sha512-KtYARvV7CWNtax0na9+Jn6PlhGgSoid7PWyDzXI4KsCEm2odZcqEQyval5koaLygZnM/EQ3lfJ//25K8p3uHNg==",
}

FOLDERS = ("tang", "song", "strains", "mengxue")
MENGXUE = ("tangshisanbaishou.json", "shenglvqimeng.json")
TANG = re.compile(r"^poet\.tang\.\d+\.json$")
SONG = re.compile(r"^poet\.song\.\d+\.json$")


def raw_folder(path: str) -> str | None:
    """The data/raw subfolder a corpus file belongs in, or None to skip it."""
    parts = path.split("/")
    name = parts[-1]
    if "error" in parts:  # the package's folder of known-bad records
        return None
    if "strains" in parts:
        return "strains" if TANG.match(name) else None
    if "mengxue" in parts or "蒙学" in parts:
        return "mengxue" if name in MENGXUE else None
    if TANG.match(name):
        return "tang"
    if SONG.match(name):
        return "song"
    return None


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("tangshi"))


def integrity_of(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def npm_pack(spec: str, cache: Path) -> Path:
    """Return the verified tarball of `spec` ("name@version"), running `npm pack` if not cached."""
    if spec not in PINNED_INTEGRITY:
        raise TangshiError(
            f"no pinned integrity for npm package {spec}: use one of {', '.join(PINNED_INTEGRITY)} "
            "or add its sha512 integrity to PINNED_INTEGRITY in src/tangshi/data/fetch.py"
        )
    name, version = spec.rsplit("@", 1)
    tarball = cache / f"{name}-{version}.tgz"
    expected = PINNED_INTEGRITY[spec]
    if tarball.exists() and integrity_of(tarball) == expected:
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise TangshiError(
            "npm not found: install Node.js with npm, or set corpus.source in params.yaml "
            "to a local copy of chinese-poetry (a checkout, an unpacked package or its .tgz)"
        )
    cache.mkdir(parents=True, exist_ok=True)
    tarball.unlink(missing_ok=True)
    done = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(cache)], capture_output=True, text=True
    )
    if done.returncode != 0 or not tarball.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise TangshiError(
            f"npm pack {spec} failed ({last}): check the network and npm's registry settings, "
            "or set corpus.source to a local copy of chinese-poetry"
        )
    got = integrity_of(tarball)
    if got != expected:
        tarball.unlink()
        raise TangshiError(
            f"checksum mismatch for {spec}: expected {expected}, got {got}; "
            "the download was removed, run again or check your npm registry mirror"
        )
    return tarball


def extract_tarball(tarball: Path, dest: Path) -> int:
    """Copy the wanted members of a package tarball into dest/<folder>/; return the file count."""
    count = 0
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                folder = raw_folder(member.name) if member.isfile() else None
                if folder is None:
                    continue
                target = dest / folder / Path(member.name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                count += 1
    except (tarfile.TarError, OSError, EOFError) as err:
        raise TangshiError(f"cannot read {tarball} ({err}): delete it and fetch again")
    return count


def copy_tree(source: Path, dest: Path) -> int:
    count = 0
    for path in sorted(source.rglob("*.json")):
        folder = raw_folder(path.relative_to(source).as_posix())
        if folder is None:
            continue
        target = dest / folder / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    return count


def fetch(source: str, out: str | Path = "data/raw", cache: Path | None = None) -> dict[str, int]:
    """Fill `out` from `source` ("npm:name@version", a folder, or a .tgz); return files per folder."""
    with atomic_path(out) as tmp:
        tmp.mkdir()
        if source.startswith("npm:"):
            extract_tarball(npm_pack(source[4:], cache or cache_dir()), tmp)
        else:
            path = Path(source).expanduser()
            if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
                extract_tarball(path, tmp)
            elif path.is_dir():
                copy_tree(path, tmp)
            else:
                raise TangshiError(
                    f"corpus.source {source!r} is neither npm:NAME@VERSION nor an existing folder "
                    "or .tgz: fix corpus.source in params.yaml"
                )
        counts = {folder: len(list((tmp / folder).glob("*.json"))) for folder in FOLDERS}
        if counts["tang"] == 0:
            raise TangshiError(
                f"no poet.tang.*.json found in {source}: point corpus.source at a chinese-poetry "
                "checkout or package"
            )
    return counts
