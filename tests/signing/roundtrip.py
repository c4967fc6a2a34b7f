#!/usr/bin/env python3
"""Signing round trip on a vanban PDF, as the leader and the records clerk do it.

Usage: roundtrip.py PDF ZONES_JSON [--fields-present]

1. checks the PDF before signing: qpdf --check, no encryption / JavaScript / OpenAction, every
   font embedded with ToUnicode, the draft blanks empty and of the required sizes, the manifest
   within 0.5 pt of the glyphs around each blank, the signature zone centred under the title;
2. signs with a test CA made here (nothing reaches a network): the leader visibly into
   SigLeader, then three incremental organisation signatures VT_So, VT_Ngay, VT_Dau (stamps
   for the number, the date and the seal) — creating the fields, or using vanban's
   pre-made ones with --fields-present;
3. validates: every signature intact and trusted (bottom_line), earlier ones modified no worse
   than form filling, the first revision byte-identical to vanban's output, the PDF/A
   identification still present, qpdf --check clean after signing.
Prints one line per check; exits non-zero on the first failure.
"""
import datetime
import io
import json
import subprocess
import sys
import tempfile

import pdfplumber
import pikepdf
from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore


def ok(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


def make_ca():
    now = datetime.datetime.now(datetime.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vanban test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_signer(ca_key, ca_cert, cn):
    now = datetime.datetime.now(datetime.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    a_cert = ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    a_key = akeys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    a_ca = ax509.Certificate.load(ca_cert.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(signing_cert=a_cert, signing_key=a_key,
                                cert_registry=SimpleCertificateStore.from_certs([a_ca]))


def qpdf_ok(data, what):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        r = subprocess.run(["qpdf", "--check", f.name], capture_output=True, text=True)
    ok(r.returncode == 0, f"qpdf --check {what}")


def check_structure(data):
    pdf = pikepdf.open(io.BytesIO(data))
    ok(not pdf.is_encrypted, "not encrypted")
    bad = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            for k in ("/JavaScript", "/JS", "/OpenAction", "/AA"):
                if k in obj:
                    bad.append(k)
    if "/OpenAction" in pdf.Root or "/Names" in pdf.Root and "/JavaScript" in pdf.Root.Names:
        bad.append("root action")
    ok(not bad, f"no JavaScript or actions ({bad})")
    fonts = {}
    for page in pdf.pages:
        for name, font in page.Resources.get("/Font", {}).items():
            fonts[font.objgen] = font
    missing = []
    for font in fonts.values():
        desc = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.get("/FontDescriptor")
        embedded = desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        if not embedded or "/ToUnicode" not in font:
            missing.append(str(font.get("/BaseFont")))
    ok(fonts and not missing, f"{len(fonts)} fonts embedded with ToUnicode ({missing})")
    meta = pdf.open_metadata()
    return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


def check_zones(data, zones):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page1 = pdf.pages[0]
        h = page1.height
        for name, min_w in (("number", 32.0), ("day", 20.0), ("month", 20.0)):
            z = zones.get(name)
            ok(z is not None and z["page"] == 1, f"zone {name} on page 1")
            x0, y0, x1, y1 = z["rect"]
            ok(x1 - x0 >= min_w, f"zone {name} {x1 - x0:.1f} pt wide (>= {min_w})")
            top, bottom = h - y1, h - y0
            row = [c for c in page1.chars if c["bottom"] > top and c["top"] < bottom]
            inside = [c["text"] for c in row if c["x1"] > x0 + 0.5 and c["x0"] < x1 - 0.5]
            ok(not inside, f"zone {name} empty of text ({inside})")
            drawn = [o for o in page1.lines + page1.rects + page1.curves
                     if o["x1"] > x0 + 0.5 and o["x0"] < x1 - 0.5 and o["bottom"] > top and o["top"] < bottom]
            ok(not drawn, f"zone {name} empty of graphics")
            left = max((c for c in row if c["x1"] <= x0 + 0.5), key=lambda c: c["x1"])
            right = min((c for c in row if c["x0"] >= x1 - 0.5), key=lambda c: c["x0"])
            ok(abs(left["x1"] - x0) <= 0.5 and abs(right["x0"] - x1) <= 0.5,
               f"zone {name} matches the glyphs around it within 0.5 pt "
               f"({left['text']!r} ends {left['x1']:.2f} vs {x0}; {right['text']!r} starts {right['x0']:.2f} vs {x1})")
            if name == "number":
                gap = right["x0"] - max(c["x1"] for c in row if c["text"] == ":" and c["x1"] <= x0 + 0.5)
                ok(gap >= 32.0, f"gap between 'Số:' and '/' is {gap:.1f} pt (>= 32)")
        sig = zones["leader_signature"]
        page = pdf.pages[sig["page"] - 1]
        x0, y0, x1, y1 = sig["rect"]
        ok(x1 - x0 >= 45 * 72 / 25.4 - 0.01 and y1 - y0 >= 25 * 72 / 25.4 - 0.01,
           f"signature zone {(x1 - x0) * 25.4 / 72:.1f} x {(y1 - y0) * 25.4 / 72:.1f} mm (>= 45 x 25)")
        top, bottom = page.height - y1, page.height - y0
        inside = [c["text"] for c in page.chars if c["x1"] > x0 and c["x0"] < x1 and c["bottom"] > top and c["top"] < bottom]
        ok(not inside, f"signature zone empty ({''.join(inside)!r})")
        words = page.extract_words()
        title = [w for w in words if w["bottom"] < top and w["x0"] > (x0 - 60)]
        last_line = max(w["bottom"] for w in title)
        line = [w for w in title if abs(w["bottom"] - last_line) < 1]
        centre = (min(w["x0"] for w in line) + max(w["x1"] for w in line)) / 2
        ok(abs(centre - (x0 + x1) / 2) <= 0.5, f"signature zone centred under the title ({centre:.2f} vs {(x0 + x1) / 2:.2f})")
        seal = zones["seal"]
        sx0, sy0, sx1, sy1 = seal["rect"]
        ok(abs((sx1 - sx0) - 36 * 72 / 25.4) < 0.05 and abs((sy1 - sy0) - (sx1 - sx0)) < 0.05, "seal zone is a 36 mm square")
        ok(abs((sx0 + sx1) / 2 - (x0 + (x1 - x0) / 6)) < 0.05, "seal centred on the left third of the signature zone")
        recipients = [c for c in page.chars if c["size"] <= 12.01 and c["x0"] < x0 - 20]
        hit = [c["text"] for c in recipients if c["x1"] > sx0 and c["bottom"] > page.height - sy1 and c["top"] < page.height - sy0]
        ok(not hit, "seal zone clear of the Nơi nhận text")


def sign(data, field, signer, box, page, style_text, create):
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    spec = fields.SigFieldSpec(field, on_page=page - 1, box=tuple(box)) if create else None
    meta = signers.PdfSignatureMetadata(field_name=field)
    pdf_signer = signers.PdfSigner(meta, signer=signer, new_field_spec=spec,
                                   stamp_style=TextStampStyle(stamp_text=style_text))
    out = io.BytesIO()
    pdf_signer.sign_pdf(w, output=out)
    return out.getvalue()


def main():
    pdf_path, zones_path = sys.argv[1], sys.argv[2]
    fields_present = "--fields-present" in sys.argv
    original = open(pdf_path, "rb").read()
    zones = json.load(open(zones_path))["zones"]
    qpdf_ok(original, "before signing")
    part, conf = check_structure(original)
    ok(part == "2" and conf == "B", f"PDF/A-2b identification before signing ({part}, {conf})")
    check_zones(original, zones)

    ca_key, ca_cert = make_ca()
    leader = make_signer(ca_key, ca_cert, "Lãnh đạo ký duyệt")
    org = make_signer(ca_key, ca_cert, "Ủy ban nhân dân tỉnh Đắk Lắk")
    z = zones
    data = sign(original, "SigLeader", leader, z["leader_signature"]["rect"], z["leader_signature"]["page"],
                "Ký bởi: %(signer)s", not fields_present)
    data = sign(data, "VT_So", org, z["number"]["rect"], z["number"]["page"], "235", not fields_present)
    data = sign(data, "VT_Ngay", org, z["day"]["rect"], z["day"]["page"], "25", not fields_present)
    data = sign(data, "VT_Dau", org, z["seal"]["rect"], z["seal"]["page"], "Đóng dấu", not fields_present)

    ok(data[:len(original)] == original, "first revision byte-identical to vanban's output")
    ca = ax509.Certificate.load(ca_cert.public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(data))
    sigs = reader.embedded_signatures
    ok(len(sigs) == 4, f"{len(sigs)} signatures")
    for i, sig in enumerate(sigs):
        vc = ValidationContext(trust_roots=[ca], allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(sig, vc)
        ok(status.bottom_line, f"signature {sig.field_name} valid (bottom_line)")
        if i < len(sigs) - 1:
            level = status.modification_level
            ok(level is not None and level.value <= ModificationLevel.FORM_FILLING.value,
               f"signature {sig.field_name}: later changes are {level}")
    qpdf_ok(data, "after signing")
    part, conf = check_structure(data)
    ok(part == "2" and conf == "B", "PDF/A identification still present after signing")
    print("roundtrip: all checks passed")


if __name__ == "__main__":
    main()
