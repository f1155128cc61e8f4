import io
import json
import tarfile
from pathlib import Path

import pytest

from tangshi.data import fetch as fetch_mod
from tangshi.data.fetch import fetch, integrity_of, raw_folder
from tangshi.errors import TangshiError

from .conftest import FIXTURE


def make_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_raw_folder_routes_package_paths():
    assert raw_folder("package/dist/quantangshi/poet.tang.1000.json") == "tang"
    assert raw_folder("package/dist/quantangshi/poet.song.0.json") == "song"
    assert raw_folder("package/dist/strains/json/poet.tang.0.json") == "strains"
    assert raw_folder("package/dist/strains/json/poet.song.0.json") is None
    assert raw_folder("package/dist/quantangshi/error/poet.tang.0.json") is None
    assert raw_folder("package/dist/quantangshi/authors.tang.json") is None
    assert raw_folder("package/dist/mengxue/tangshisanbaishou.json") == "mengxue"
    assert raw_folder("package/dist/mengxue/shenglvqimeng.json") == "mengxue"
    assert raw_folder("package/dist/mengxue/sanzijing-traditional.json") is None


def test_fetch_from_folder_copies_only_what_later_stages_read(tmp_path):
    counts = fetch(str(FIXTURE), tmp_path / "raw")
    assert counts == {"tang": 3, "song": 1, "strains": 2, "mengxue": 2}
    assert sorted(p.name for p in (tmp_path / "raw" / "tang").iterdir()) == ["poet.tang.0.json", "poet.tang.1000.json", "poet.tang.2000.json"]


def test_fetch_from_tarball(tmp_path):
    data = (FIXTURE / "dist/quantangshi/poet.tang.0.json").read_bytes()
    tgz = make_tarball(tmp_path / "p.tgz", {"package/dist/quantangshi/poet.tang.0.json": data, "package/README.md": b"x"})
    assert fetch(str(tgz), tmp_path / "raw")["tang"] == 1
    assert (tmp_path / "raw/tang/poet.tang.0.json").read_bytes() == data


def test_npm_pack_uses_verified_cache_without_npm(tmp_path, monkeypatch):
    data = json.dumps([{"id": "a", "paragraphs": []}]).encode()
    tgz = make_tarball(tmp_path / "chinese-poetry-9.9.9.tgz", {"package/dist/quantangshi/poet.tang.0.json": data})
    monkeypatch.setitem(fetch_mod.PINNED_INTEGRITY, "chinese-poetry@9.9.9", integrity_of(tgz))
    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: None)
    assert fetch("npm:chinese-poetry@9.9.9", tmp_path / "raw", cache=tmp_path)["tang"] == 1


def test_missing_npm_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: None)
    with pytest.raises(TangshiError, match="npm not found: install Node.js"):
        fetch("npm:chinese-poetry@2.0.1", tmp_path / "raw", cache=tmp_path / "empty")
    assert not (tmp_path / "raw").exists()


def test_checksum_mismatch_removes_download_and_output(tmp_path, monkeypatch):
    def fake_npm(cmd, **kwargs):  # "downloads" a tarball whose bytes do not match the pin
        make_tarball(tmp_path / "cache" / "chinese-poetry-2.0.1.tgz", {"package/x": b"tampered"})
        return fetch_mod.subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(fetch_mod.subprocess, "run", fake_npm)
    with pytest.raises(TangshiError, match="checksum mismatch for chinese-poetry@2.0.1"):
        fetch("npm:chinese-poetry@2.0.1", tmp_path / "raw", cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "chinese-poetry-2.0.1.tgz").exists()
    assert not (tmp_path / "raw").exists()


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(
        fetch_mod.subprocess, "run", lambda cmd, **kw: fetch_mod.subprocess.CompletedProcess(cmd, 1, "", "npm error code E404\n")
    )
    with pytest.raises(TangshiError, match=r"npm pack chinese-poetry@2.0.1 failed \(npm error code E404\)"):
        fetch("npm:chinese-poetry@2.0.1", tmp_path / "raw", cache=tmp_path / "cache")


def test_unpinned_version_and_bad_source_are_refused(tmp_path):
    with pytest.raises(TangshiError, match="no pinned integrity for npm package chinese-poetry@1.0.0"):
        fetch("npm:chinese-poetry@1.0.0", tmp_path / "raw", cache=tmp_path)
    with pytest.raises(TangshiError, match="neither npm:NAME@VERSION nor an existing folder"):
        fetch(str(tmp_path / "nowhere"), tmp_path / "raw")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TangshiError, match="no poet.tang"):
        fetch(str(tmp_path / "empty"), tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_corrupt_tarball_is_refused(tmp_path):
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(TangshiError, match="cannot read .*bad.tgz"):
        fetch(str(bad), tmp_path / "raw")
    assert not (tmp_path / "raw").exists()
