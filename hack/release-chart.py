"""Points a chart's values.yaml at a released image: image.repository, image.tag, image.digest.

Usage: release-chart.py VALUES REPOSITORY TAG DIGEST. The three lines are rewritten in place, so
the file's comments (the chart's documentation) survive; the result is parsed back and checked.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml


def stamp(text: str, values: dict[str, str]) -> str:
    """The text with each key's line inside the top-level `image:` block set to its value."""
    block = re.search(r"^image:\n((?:[ \t]+.*\n|[ \t]*#.*\n|\n)+)", text, re.MULTILINE)
    if block is None:
        raise SystemExit("values.yaml has no top-level image: block")
    body = block.group(1)
    for key, value in values.items():
        body, count = re.subn(
            rf"^(  {key}:)[^\n]*$", rf"\g<1> {yaml_string(value)}", body, flags=re.MULTILINE
        )
        if count != 1:
            raise SystemExit(f"values.yaml: expected one image.{key} line, found {count}")
    return text[: block.start(1)] + body + text[block.end(1) :]


def yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    path, repository, tag, digest = Path(sys.argv[1]), *sys.argv[2:5]
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise SystemExit(f"not an image digest: {digest!r}")
    wanted = {"repository": repository, "tag": tag, "digest": digest}
    text = stamp(path.read_text(), wanted)
    image = yaml.safe_load(text)["image"]
    if {key: image[key] for key in wanted} != wanted:
        raise SystemExit(f"values.yaml: image is {image}, wanted {wanted}")
    path.write_text(text)


if __name__ == "__main__":
    main()
