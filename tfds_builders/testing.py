"""Test helpers shared by the builders' tests: dummy data, offline preparing.

* `copy_dummy_data` copies a builder's dummy_data/ into a test's tmp_path, for
  tests that break or remove files before preparing.
* `prepare_from_manual_dir` prepares a builder from files in a manual dir.
* `prepare_with_fake_downloads` prepares a builder with
  `DownloadManager.download_and_extract` replaced, so that it returns local
  folders (usually dummy_data/ or a copy) and nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
import pathlib
import shutil
from typing import Any
from unittest import mock

import tensorflow_datasets as tfds


def copy_dummy_data(
  dummy_dir: pathlib.Path, tmp_path: pathlib.Path, name: str
) -> pathlib.Path:
  """Copies the folder dummy_dir to tmp_path/name and returns the copy."""
  copy = pathlib.Path(tmp_path) / name
  shutil.copytree(dummy_dir, copy)
  return copy


def prepare_from_manual_dir(
  builder: tfds.core.DatasetBuilder,
  manual_dir: pathlib.Path,
  **download_and_prepare_kwargs: Any,
) -> tfds.core.DatasetBuilder:
  """Prepares builder with manual_dir as its manual dir; returns builder."""
  builder.download_and_prepare(
    download_config=tfds.download.DownloadConfig(manual_dir=manual_dir),
    **download_and_prepare_kwargs,
  )
  return builder


def prepare_with_fake_downloads(
  builder: tfds.core.DatasetBuilder,
  extracted: Any | Callable[[Any], Any],
  **download_and_prepare_kwargs: Any,
) -> tfds.core.DatasetBuilder:
  """Prepares builder with no network; returns builder.

  Args:
    builder: the builder to prepare.
    extracted: what `download_and_extract` returns in place of the extracted
      archives. A callable is called with the URLs the builder asks for (the
      argument of `download_and_extract`, a URL or a dict of them) and what it
      returns is returned, so that it can check or record them; anything else
      (a path, a dict of paths) is returned as it is.
    **download_and_prepare_kwargs: passed to `builder.download_and_prepare`.
  """

  def download_and_extract(self, url_or_urls):
    del self  # The DownloadManager.
    if callable(extracted):
      return extracted(url_or_urls)
    return extracted

  with mock.patch.object(
    tfds.download.DownloadManager,
    "download_and_extract",
    download_and_extract,
  ):
    builder.download_and_prepare(**download_and_prepare_kwargs)
  return builder
