import pytest

from images.pure.downloads import download_name


@pytest.mark.parametrize(
    ("original", "content_type", "named"),
    [
        ("IMG_0001.HEIC", "image/heif", "IMG_0001.HEIC"),  # its own name, not .heif
        ("beach day.jpeg", "image/jpeg", "beach day.jpeg"),
        ("C:\\Users\\me\\Desktop\\miso.png", "image/png", "miso.png"),
        ("../../etc/passwd", "image/jpeg", "passwd.jpg"),
        ('say "cheese"\r\n.jpg', "image/jpeg", "say cheese.jpg"),
        ("photo.exe", "image/jpeg", "photo.exe.jpg"),
        ("Café à la plage.webp", "image/webp", "Café à la plage.webp"),
        ("", "image/heic", "biscuit-2026-03-04.heic"),
        ("   .jpg", "image/jpeg", "biscuit-2026-03-04.jpg"),
        ("invoice\u202egpj.exe.jpg", "image/jpeg", "invoicegpj.exe.jpg"),  # no bidi override
        ("a\u0085b\u200bc.png", "image/png", "a bc.png"),  # C1 control, zero-width space
        ("CON.jpg", "image/jpeg", "_CON.jpg"),  # a Windows device name
    ],
)
def test_a_download_keeps_the_uploaded_name_made_safe(original, content_type, named):
    assert download_name(original, content_type, fallback="biscuit-2026-03-04") == named


def test_a_very_long_name_is_cut_but_keeps_its_extension():
    named = download_name("a" * 400 + ".jpg", "image/jpeg", fallback="x")
    assert named.endswith(".jpg")
    assert len(named) <= 150
