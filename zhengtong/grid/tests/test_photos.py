import io

import pytest
from PIL import Image

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.grid import services
from zhengtong.grid.models import IncidentPhoto
from zhengtong.grid.tests.test_incidents import act


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
    public = b"".join(client.get(f"/grid/photos/{photo.token}/").streaming_content)
    img = Image.open(io.BytesIO(public))
    assert img.size == (64, 48) and not img.getexif() and b"PhoneModel" not in public
    # The original is for staff in scope only.
    assert client.get(f"/grid/photos/{photo.token}/original/").status_code == 302
    client.force_login(grid.worker2)
    assert client.get(f"/grid/photos/{photo.token}/original/").status_code == 404
    client.force_login(grid.command)
    assert b"".join(client.get(f"/grid/photos/{photo.token}/original/").streaming_content) == data


def test_private_category_photo_is_not_public(client, grid):
    inc = grid.report(category="E0701")
    photo = services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    assert client.get(f"/grid/photos/{photo.token}/").status_code == 404


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


def test_department_handler_sees_photos_only_of_incidents_dispatched_to_them(client, grid):
    """Photos are authorised like the incident page: a department handler (住建局) gets no
    photo of an incident dispatched elsewhere or never dispatched, public copy or original."""
    data = jpeg_with_gps()
    private = grid.report(category="E0701", description="邻里纠纷")  # a private dispute
    elsewhere = grid.report(category="E0302")
    act(elsewhere, "register", grid.command)
    act(elsewhere, "dispatch", grid.command)  # to 综合行政执法局
    mine = grid.report(category="E0302")
    act(mine, "register", grid.command)
    act(mine, "dispatch", grid.command, department=grid.depts["zjj"])
    photos = {
        name: services.photo_add(actor=grid.worker, incident=inc, data=data)
        for name, inc in [("private", private), ("elsewhere", elsewhere), ("mine", mine)]
    }
    client.force_login(grid.zjj_handler)
    for name in ("private", "elsewhere"):
        assert client.get(f"/grid/photos/{photos[name].token}/original/").status_code == 404, name
        assert client.get(f"/grid/incidents/{photos[name].incident_id}/").status_code == 404
    assert client.get(f"/grid/photos/{photos['private'].token}/").status_code == 404
    assert b"".join(client.get(f"/grid/photos/{photos['mine'].token}/original/").streaming_content) == data
    # The department that has the incident gets the original.
    client.force_login(grid.handler)
    assert (
        b"".join(client.get(f"/grid/photos/{photos['elsewhere'].token}/original/").streaming_content) == data
    )
    assert client.get(f"/grid/photos/{photos['mine'].token}/original/").status_code == 404


def test_photo_urls_are_random_tokens_and_old_id_urls_answer_404(client, grid):
    inc = grid.report()
    photo = services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    other = services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    assert photo.token != other.token and len(str(photo.token)) == 36
    client.force_login(grid.command)
    assert client.get(f"/grid/photos/{photo.token}/original/").status_code == 200
    assert client.get(f"/grid/photos/{photo.pk}/").status_code == 404
    assert client.get(f"/grid/photos/{photo.pk}/original/").status_code == 404
    page = client.get(f"/grid/incidents/{inc.pk}/").content.decode()
    assert f"/grid/photos/{photo.token}/" in page and f"/grid/photos/{photo.pk}/" not in page


def test_open311_media_url_is_the_tokenised_stripped_copy(client, grid):
    inc = grid.report()  # E0101: a public category
    photo = services.photo_add(actor=grid.worker, incident=inc, data=jpeg_with_gps())
    row = client.get(f"/open311/v2/requests/{inc.pk}.json").json()[0]
    assert row["media_url"] == f"http://testserver/grid/photos/{photo.token}/"
    served = b"".join(client.get(f"/grid/photos/{photo.token}/").streaming_content)
    assert served == (services.photo_root() / photo.public).read_bytes() and b"PhoneModel" not in served
