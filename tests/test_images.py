import io

import numpy as np
import pytest
from PIL import Image

from search.images import ImageError, load_image


def _bytes(image, fmt="PNG", **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def test_a_path_gives_rgb(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(path)
    image = load_image(path)
    assert image.mode == "RGB" and image.size == (40, 30)


@pytest.mark.parametrize("data, reason", [
    (b"", "file is empty"),
    (b"just some text, not a picture", "not an image format"),
    (_bytes(Image.new("RGB", (64, 64), "red"), "JPEG")[:300], "damaged or truncated"),
    (_bytes(Image.new("1", (8000, 8000))), "over the limit of 40,000,000 pixels"),
    (_bytes(Image.new("RGB", (4, 4))), "too small"),
])
def test_bad_images_raise_a_clear_error(data, reason):
    with pytest.raises(ImageError, match=reason):
        load_image(data, name="upload.jpg")


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello")
    with pytest.raises(ImageError, match=f"^{path}: not an image"):
        load_image(path)
    with pytest.raises(ImageError, match="file not found"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="cannot read an image from a int"):
        load_image(42)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (60, 20), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    assert load_image(_bytes(image, "JPEG", exif=exif)).size == (20, 60)


def test_transparency_is_composited_over_white():
    clear = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    assert load_image(_bytes(clear)).getpixel((5, 5)) == (255, 255, 255)
    half = Image.new("LA", (20, 20), (0, 128))
    assert load_image(_bytes(half)).getpixel((5, 5))[0] in range(125, 130)


@pytest.mark.parametrize("image", [
    Image.new("P", (20, 20), 3),
    Image.new("CMYK", (20, 20), (0, 255, 255, 0)),
    Image.new("L", (20, 20), 100),
])
def test_other_modes_become_rgb(image):
    fmt = "JPEG" if image.mode == "CMYK" else "PNG"
    assert load_image(_bytes(image, fmt)).mode == "RGB"


def test_16_bit_images_keep_their_tones():
    deep = Image.fromarray(np.full((20, 20), 65535 // 2, dtype=np.uint16))
    assert load_image(_bytes(deep)).getpixel((0, 0))[0] in range(126, 130)


def test_webcam_arrays_are_accepted_in_any_common_shape():
    assert load_image(np.zeros((30, 40, 3), np.uint8)).size == (40, 30)
    assert load_image(np.zeros((30, 40, 4), np.uint8)).getpixel((0, 0)) == (255, 255, 255)
    assert load_image(np.ones((30, 40), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(ImageError, match="shape"):
        load_image(np.zeros((30, 40, 5), np.uint8))


def test_animated_images_use_the_first_frame():
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert load_image(buffer.getvalue()).getpixel((5, 5))[0] > 200


def test_large_photos_are_shrunk_for_the_encoder():
    assert max(load_image(Image.new("RGB", (4000, 3000))).size) == 1024


def test_large_jpegs_are_decoded_at_a_reduced_scale_with_the_same_result(monkeypatch):
    """A 12-megapixel phone photo is decoded at half scale (4x fewer pixels) when only 1024 px are kept; the
    picture that comes out, orientation applied, is the full decode's to within a few levels."""
    from PIL.JpegImagePlugin import JpegImageFile

    photo = Image.effect_mandelbrot((4032, 3024), (-2.2, -1.2, 1, 1.2), 80).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _bytes(photo, "JPEG", quality=90, exif=exif)
    decoded_sizes, load = [], JpegImageFile.load
    monkeypatch.setattr(JpegImageFile, "load", lambda self: decoded_sizes.append(self.size) or load(self))

    image = load_image(data)
    full = photo.rotate(-90, expand=True)
    full.thumbnail((1024, 1024), Image.Resampling.BILINEAR)
    assert decoded_sizes[0] == (2016, 1512) and image.size == full.size == (768, 1024)
    difference = np.abs(np.asarray(image, np.int16) - np.asarray(full, np.int16))
    assert difference.mean() < 3
