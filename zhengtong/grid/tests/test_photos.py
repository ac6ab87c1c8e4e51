import io

import pytest
from PIL import Image

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.grid import services
from zhengtong.grid.models import IncidentPhoto


def jpeg_with_gps(size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel X"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 15.0, 36.0)
    gps[3] = "E"
    gps[4] = (120.0, 8.0, 24.0)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_stored_privately_and_served_stripped(client, grid):
    inc = grid.report()
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    photo = services.photo_add(actor=grid.worker, incident=inc, data=data)
    assert (photo.width, photo.height, photo.content_type) == (64, 48, "image/jpeg")
    original = (services.photo_root() / photo.original).read_bytes()
    assert original == data
    public = b"".join(client.get(f"/grid/photos/{photo.pk}/").streaming_content)
    img = Image.open(io.BytesIO(public))
    assert img.size == (64, 48) and not img.getexif() and b"PhoneModel" not in public
    # The original is for staff in scope only.
    assert client.get(f"/grid/photos/{photo.pk}/original/").status_code == 302
    client.force_login(grid.worker2)
    assert client.get(f"/grid/photos/{photo.pk}/original/").status_code == 404
    client.force_login(grid.command)
    assert b"".join(client.get(f"/grid/photos/{photo.pk}/original/").streaming_content) == data


def test_private_category_photo_is_not_public(client, grid):
    inc = grid.report(category="E0701")
    photo = services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    assert client.get(f"/grid/photos/{photo.pk}/").status_code == 404


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "the file is empty"),
        (b"%PDF-1.4 not an image", "is not a readable image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "is not a readable image"),
    ],
)
def test_non_images_are_refused(grid, data, message):
    inc = grid.report()
    with pytest.raises(ValidationError) as err:
        services.photo_add(actor=grid.worker, incident=inc, data=data)
    assert err.value.fields["photo"] == [message]
    assert IncidentPhoto.objects.count() == 0


def test_other_formats_and_limits(grid, settings):
    inc = grid.report()
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(ValidationError) as err:
        services.photo_add(actor=grid.worker, incident=inc, data=gif.getvalue())
    assert err.value.fields["photo"] == ["must be a JPEG, PNG or WebP image"]
    settings.GRID_PHOTO_MAX_PIXELS = 1000
    with pytest.raises(ValidationError) as err:
        services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps((100, 100)))
    assert "too many pixels" in err.value.fields["photo"][0]
    settings.GRID_PHOTO_MAX_BYTES = 100
    with pytest.raises(ValidationError) as err:
        services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    assert "larger than" in err.value.fields["photo"][0]
    assert IncidentPhoto.objects.count() == 0


def test_png_is_stripped_too(grid):
    inc = grid.report()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("GPS", "30.26,120.14")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG", pnginfo=info)
    photo = services.photo_add(actor=grid.worker, incident=inc, data=out.getvalue())
    assert b"30.26" not in (services.photo_root() / photo.public).read_bytes()


def test_photo_needs_scope(grid):
    inc = grid.report()
    with pytest.raises(PermissionDenied):
        services.photo_add(actor=grid.worker2, incident=inc, data=jpeg_with_gps())
    assert IncidentPhoto.objects.count() == 0
