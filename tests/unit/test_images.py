"""stitchpress.core.images: derivatives, orientation, metadata, limits and refusals, on images made here."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from stitchpress.core import images
from stitchpress.core.images import ImageRejected, Limits, process, resolve, target_widths
from tests.helpers import encode, png_claiming

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(size: tuple[int, int] = (2000, 1500)) -> Image.Image:
    """A photo-like picture: a gradient with some noise (not flat, not pure noise)."""
    grad = Image.linear_gradient("L").resize(size)
    blotches = Image.effect_noise((size[0] // 16, size[1] // 16), 60).resize(size, Image.Resampling.BICUBIC)
    return Image.merge("RGB", (grad, blotches, grad.rotate(90).resize(size)))


def two_halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: orientation shows in where the colours end up."""
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return im


def decoded(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_a_photo_becomes_three_widths_in_avif_webp_and_jpeg() -> None:
    result = process("drafts/p.jpg", encode(photo(), "JPEG", quality=90))
    info = result.info
    assert info.widths == (480, 960, 1600)
    assert info.fallback == "jpg"
    assert (info.width, info.height) == (1600, 1200)
    got = {(d.width, d.ext): d for d in result.derivatives}
    assert set(got) == {(w, e) for w in (480, 960, 1600) for e in ("avif", "webp", "jpg")}
    for (width, ext), d in got.items():
        assert d.key == f"media/{info.hash}-{width}.{ext}"
        im = decoded(d.data)
        assert im.format == {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}[ext]
        assert im.size == (width, width * 3 // 4)
    assert sorted(info.keys()) == sorted(d.key for d in result.derivatives)


def test_small_images_are_never_upscaled() -> None:
    result = process("drafts/s.png", encode(Image.new("RGB", (300, 200), "white"), "PNG"))
    assert result.info.widths == (300,)
    assert {decoded(d.data).size for d in result.derivatives} == {(300, 200)}
    assert target_widths(1000) == (480, 960, 1000)
    assert target_widths(5000) == (480, 960, 1600)
    assert target_widths(480) == (480,)


def test_charts_and_transparent_images_keep_a_png_fallback() -> None:
    chart = process("drafts/c.png", encode(Image.new("RGB", (600, 400), "white"), "PNG"))
    assert chart.info.fallback == "png"
    logo = Image.new("RGBA", (500, 500), (0, 0, 0, 0))
    result = process("drafts/l.webp", encode(logo, "WEBP", lossless=True))
    assert result.info.fallback == "png"
    png = next(d for d in result.derivatives if d.ext == "png" and d.width == 480)
    assert decoded(png.data).mode == "RGBA"
    assert decoded(png.data).getpixel((10, 10))[3] == 0  # still transparent


def test_exif_orientation_is_applied() -> None:
    # Stored landscape, EXIF says "rotate 90° clockwise to display" (orientation 6).
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    data = encode(two_halves((1200, 800)), "JPEG", exif=exif, quality=95)
    result = process("drafts/r.jpg", data)
    assert (result.info.width, result.info.height) == (800, 1200)
    shown = decoded(next(d.data for d in result.derivatives if d.ext == "jpg" and d.width == 800))
    assert shown.size == (800, 1200)
    # The stored left (red) half is the top once turned clockwise; blue is at the bottom.
    top, bottom = shown.getpixel((400, 100)), shown.getpixel((400, 1100))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_gps_and_all_other_metadata_are_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x9286] = "secret comment"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 44.0, 28.0)})
    data = encode(photo((1000, 800)), "JPEG", exif=exif, comment=b"where I live")
    assert decoded(data).getexif().get_ifd(GPS_IFD)  # the source does carry a location
    for d in process("drafts/gps.jpg", data).derivatives:
        im = decoded(d.data)
        assert not im.getexif(), (d.key, dict(im.getexif()))
        assert b"PhoneMaker" not in d.data and b"where I live" not in d.data, d.key
        assert "exif" not in im.info and "xmp" not in im.info and "comment" not in im.info, d.key


def test_keys_follow_the_content() -> None:
    a = encode(Image.new("RGB", (600, 400), "white"), "PNG")
    b = encode(Image.new("RGB", (600, 400), "black"), "PNG")
    assert process("drafts/a.png", a).info.hash == process("drafts/other-name.png", a).info.hash
    assert process("drafts/a.png", a).info.hash != process("drafts/a.png", b).info.hash
    assert images.MEDIA_CACHE_CONTROL.endswith("immutable")


def test_an_animated_gif_publishes_its_first_frame_and_says_so() -> None:
    frames = [Image.new("RGB", (200, 100), c) for c in ("red", "green", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    result = process("drafts/a.gif", data)
    assert result.info.fallback == "png"
    assert any("first frame" in n for n in result.notes)


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "limits", "expected"),
    [
        ("drafts/bomb.png", png_claiming(100_000, 100_000), Limits(), "decompression bomb"),
        # Above Pillow's own MAX_IMAGE_PIXELS x 2: Pillow refuses it while opening.
        ("drafts/bomb2.png", png_claiming(30_000, 30_000), Limits(max_pixels=10**12), "decompression bomb"),
        ("drafts/big.png", png_claiming(3000, 3000), Limits(max_pixels=1_000_000), "1,000,000"),
        (
            "drafts/heavy.png",
            b"\x89PNG" + b"\0" * 2000,
            Limits(max_bytes=1000),
            "more than the limit of 1,000",
        ),
        ("drafts/notes.png", b"these are my notes, not a picture\n", Limits(), "not an image"),
        ("drafts/empty.jpg", b"", Limits(), "not an image"),
        (
            "drafts/x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            Limits(),
            "script",
        ),
        (
            "drafts/sneaky.png",
            b'<?xml version="1.0"?>\n<svg><script>alert(1)</script></svg>',
            Limits(),
            "script",
        ),
        ("drafts/bitmap.png", encode(Image.new("RGB", (10, 10)), "BMP"), Limits(), "not an image"),
    ],
)
def test_bad_input_is_rejected_with_the_reason(name: str, data: bytes, limits: Limits, expected: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        process(name, data, limits)
    assert expected in str(caught.value)


def test_a_truncated_photo_is_rejected_not_half_published() -> None:
    data = encode(photo((800, 600)), "JPEG")
    with pytest.raises(ImageRejected, match="damaged or was cut off"):
        process("drafts/cut.jpg", data[: len(data) // 2])


# --- references in drafts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "key"),
    [
        ("chart.png", "drafts/blog/chart.png"),
        ("img/chart.png", "drafts/blog/img/chart.png"),
        ("../shared/logo.PNG", "drafts/shared/logo.PNG"),
        ("./a.jpeg", "drafts/blog/a.jpeg"),
        ("../../outside.png", None),  # leaves drafts/
        ("/abs.png", None),
        ("https://example.com/a.png", None),
        ("//example.com/a.png", None),
        ("data:image/png;base64,AAAA.png", None),
        ("notes.txt", None),
        ("", None),
    ],
)
def test_references_resolve_relative_to_the_draft(src: str, key: str | None) -> None:
    assert resolve("drafts/blog/post.md", src) == key
