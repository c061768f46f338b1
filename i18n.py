"""Translation catalogue and number formatting: Bahasa Indonesia first, English second.

Every user-facing text goes through :func:`t`. The chosen language lives in the
``lang`` cookie, set by the switch in the header.
"""

from __future__ import annotations

import math

LANGUAGES = ("id", "en")
COOKIE = "lang"

TEXTS: dict[str, dict[str, str]] = {
    "app.tagline": {
        "id": "Pemantauan Terintegrasi Urusan Pemerintahan Umum",
        "en": "Integrated monitoring of general government affairs",
    },
    "nav.peta": {"id": "Peta", "en": "Map"},
    "nav.tabel": {"id": "Tabel provinsi", "en": "Province table"},
    "nav.isian": {"id": "Isian data", "en": "Data entry"},
    "status.draft": {"id": "Draf", "en": "Draft"},
    "status.submitted": {"id": "Diajukan", "en": "Submitted"},
    "status.verified": {"id": "Diverifikasi", "en": "Verified"},
    "status.rejected": {"id": "Ditolak", "en": "Rejected"},
    "status.withdrawn": {"id": "Ditarik", "en": "Withdrawn"},
    "nav.kelengkapan": {"id": "Kelengkapan data", "en": "Data completeness"},
    "kelengkapan.title": {"id": "Kelengkapan data", "en": "Data completeness"},
    "kelengkapan.only": {"id": "Halaman ini untuk admin dan pusat.",
                         "en": "This page is for admins and the ministry."},
    "kelengkapan.office": {"id": "Kantor (wilayah)", "en": "Office (region)"},
    "kelengkapan.by": {"id": "Terakhir oleh", "en": "Last by"},
    "kelengkapan.count": {"id": "{n} dari {total} mengajukan",
                          "en": "{n} of {total} submitted"},
    "kelengkapan.verified": {"id": "{n} diverifikasi", "en": "{n} verified"},
    "kelengkapan.none": {"id": "Belum mengisi", "en": "Nothing entered"},
    "nav.audit": {"id": "Log audit", "en": "Audit log"},
    "audit.title": {"id": "Log audit", "en": "Audit log"},
    "audit.only": {"id": "Halaman ini untuk admin.", "en": "This page is for admins."},
    "audit.at": {"id": "Waktu (UTC)", "en": "Time (UTC)"},
    "audit.user": {"id": "Pengguna", "en": "User"},
    "audit.action": {"id": "Tindakan", "en": "Action"},
    "audit.target": {"id": "Sasaran", "en": "Target"},
    "audit.detail": {"id": "Rincian", "en": "Detail"},
    "isian.history": {"id": "Riwayat perubahan", "en": "Change history"},
    "isian.history.none": {"id": "Belum ada isian.", "en": "Nothing entered yet."},
    "isian.version": {"id": "Versi", "en": "Version"},
    "isian.restore": {"id": "Pulihkan versi", "en": "Restore version"},
    "isian.restore.version": {"id": "Versi", "en": "Version"},
    "isian.restore.pick": {"id": "Pilih satu baris dan nomor versi yang dipulihkan.",
                           "en": "Select one row and the version number to restore."},
    "nav.unggah": {"id": "Unggah data", "en": "Upload data"},
    "unggah.title": {"id": "Unggah data", "en": "Upload data"},
    "unggah.intro": {
        "id": "Unduh templat untuk wilayah Anda, isi kolom value, lalu unggah. Periksa "
              "pratinjau; tidak ada yang tersimpan sebelum Anda menekan Simpan.",
        "en": "Download the template of your regions, fill in the value column, then upload "
              "it. Check the preview; nothing is saved until you press Save."},
    "unggah.template.xlsx": {"id": "Unduh templat XLSX", "en": "Download XLSX template"},
    "unggah.template.csv": {"id": "Unduh templat CSV", "en": "Download CSV template"},
    "unggah.drop": {"id": "Tarik berkas CSV/XLSX ke sini atau klik untuk memilih (maks. 5 MB)",
                    "en": "Drop a CSV/XLSX file here or click to choose (max. 5 MB)"},
    "unggah.row": {"id": "Baris", "en": "Row"},
    "unggah.errors": {"id": "Masalah", "en": "Problems"},
    "unggah.apply": {"id": "Simpan sebagai draf", "en": "Save as drafts"},
    "unggah.expired": {"id": "Pratinjau kedaluwarsa; unggah berkas lagi.",
                       "en": "The preview expired; upload the file again."},
    "unggah.saved": {"id": "{n} nilai tersimpan sebagai draf.",
                     "en": "{n} value(s) saved as drafts."},
    "unggah.status.new": {"id": "baru", "en": "new"},
    "unggah.status.changed": {"id": "berubah", "en": "changed"},
    "unggah.status.unchanged": {"id": "tetap", "en": "unchanged"},
    "unggah.status.skipped": {"id": "kosong", "en": "empty"},
    "unggah.status.error": {"id": "salah", "en": "errors"},
    "isian.title": {"id": "Isian data", "en": "Data entry"},
    "isian.intro": {
        "id": "{office}: isi nilai baru, simpan sebagai draf, lalu ajukan untuk verifikasi. "
              "Setiap perubahan disimpan sebagai versi baru.",
        "en": "{office}: enter new values, save them as drafts, then submit them for "
              "verification. Every change is kept as a new version."},
    "isian.readonly": {
        "id": "Halaman ini untuk operator Kesbangpol dan pusat. Masuk dengan akun operator.",
        "en": "This page is for Kesbangpol operators and the ministry. Sign in with an "
              "operator account."},
    "isian.comment": {"id": "Komentar penolakan", "en": "Rejection comment"},
    "isian.save": {"id": "Simpan draf", "en": "Save drafts"},
    "isian.submit": {"id": "Ajukan terpilih", "en": "Submit selected"},
    "isian.verify": {"id": "Verifikasi terpilih", "en": "Verify selected"},
    "isian.reject": {"id": "Tolak terpilih", "en": "Reject selected"},
    "isian.region": {"id": "Wilayah", "en": "Region"},
    "isian.current": {"id": "Nilai terakhir", "en": "Latest value"},
    "isian.status": {"id": "Status", "en": "Status"},
    "isian.new": {"id": "Nilai baru", "en": "New value"},
    "isian.reason": {"id": "Alasan", "en": "Reason"},
    "isian.done": {"id": "{n} nilai diproses.", "en": "{n} value(s) processed."},
    "isian.dberror": {
        "id": "Basis data tidak menjawab; tidak ada yang tersimpan. Coba simpan lagi.",
        "en": "The database did not answer; nothing was saved. Try saving again."},
    "isian.failed": {"id": "Tidak ada yang disimpan", "en": "Nothing was saved"},
    "nav.title": {"id": "Navigasi", "en": "Navigation"},
    "shell.present": {"id": "Mode presentasi (layar penuh, huruf besar)",
                      "en": "Presentation mode (full screen, large type)"},
    "shell.signin": {"id": "Masuk", "en": "Sign in"},
    "shell.signout": {"id": "Keluar", "en": "Sign out"},
    "role.admin": {"id": "Admin", "en": "Admin"},
    "role.pusat": {"id": "Pusat", "en": "Central"},
    "role.provinsi": {"id": "Operator provinsi", "en": "Province operator"},
    "role.kabkota": {"id": "Operator kab/kota", "en": "Kab/kota operator"},
    "role.viewer": {"id": "Pengamat", "en": "Viewer"},
    "lang.label": {"id": "Bahasa", "en": "Language"},
    "tabel.title": {"id": "Indeks Demokrasi Indonesia per provinsi",
                      "en": "Indonesian Democracy Index by province"},
    "tabel.description": {
        "id": "Nilai, kategori dan sumber untuk setiap provinsi pada periode terbaru.",
        "en": "Value, category and source for every province in the latest period.",
    },
    "tabel.national": {"id": "{name} nasional {period}", "en": "National {name} {period}"},
    "tabel.published": {"id": "Provinsi dengan angka terbitan",
                          "en": "Provinces with published figures"},
    "tabel.counts": {"id": "{simulated} simulasi, {missing} tidak tersedia",
                       "en": "{simulated} simulated, {missing} without data"},
    "peta.title": {"id": "Peta indikator", "en": "Indicator map"},
    "peta.indicator": {"id": "Indikator", "en": "Indicator"},
    "peta.year": {"id": "Tahun", "en": "Year"},
    "peta.play": {"id": "Putar tahun", "en": "Play years"},
    "peta.show": {"id": "Tampilkan", "en": "Show"},
    "peta.show.nilai": {"id": "Nilai", "en": "Values"},
    "peta.show.perubahan": {"id": "Perubahan", "en": "Change"},
    "peta.base": {"id": "Sejak", "en": "Since"},
    "peta.method": {"id": "Klasifikasi", "en": "Classification"},
    "peta.method.kategori": {"id": "Kategori resmi", "en": "Official categories"},
    "peta.method.kuantil": {"id": "Kuantil", "en": "Quantiles"},
    "peta.method.jenks": {"id": "Natural breaks (Jenks)", "en": "Natural breaks (Jenks)"},
    "peta.method.interval": {"id": "Interval sama", "en": "Equal interval"},
    "peta.method.perubahan": {"id": "Perubahan (divergen)", "en": "Change (diverging)"},
    "peta.classes": {"id": "Kelas", "en": "Classes"},
    "peta.palette": {"id": "Palet", "en": "Palette"},
    "peta.level": {"id": "Tingkat", "en": "Level"},
    "peta.level.provinsi": {"id": "Provinsi", "en": "Provinces"},
    "peta.level.kabkota": {"id": "Kab/kota", "en": "Kab/kota"},
    "peta.level.kecamatan": {"id": "Kecamatan", "en": "Kecamatan"},
    "peta.crumbs": {"id": "Jejak wilayah", "en": "Region trail"},
    "peta.search": {"id": "Cari wilayah…", "en": "Search a region…"},
    "peta.search.none": {"id": "Tidak ditemukan", "en": "Nothing found"},
    "peta.legend.change": {"id": "Perubahan {base}–{period}", "en": "Change {base}–{period}"},
    "peta.kpi.national": {"id": "Nasional", "en": "National"},
    "peta.kpi.target": {"id": "Target", "en": "Target"},
    "peta.kpi.change": {"id": "Perubahan", "en": "Change"},
    "peta.kpi.categories": {"id": "Jumlah wilayah per kategori",
                            "en": "Regions per category"},
    "peta.trend.alt": {"id": "Tren {indicator} {name} dibanding nasional",
                       "en": "{indicator} trend of {name} against the national line"},
    "peta.top": {"id": "5 teratas", "en": "Top 5"},
    "peta.bottom": {"id": "5 terbawah", "en": "Bottom 5"},
    "peta.tt.value": {"id": "Nilai", "en": "Value"},
    "peta.tt.category": {"id": "Kategori", "en": "Category"},
    "peta.tt.rank": {"id": "Peringkat", "en": "Rank"},
    "peta.tt.of": {"id": "dari", "en": "of"},
    "peta.tt.change": {"id": "Perubahan", "en": "Change"},
    "peta.tt.change_since": {"id": "Perubahan sejak {base}", "en": "Change since {base}"},
    "peta.tt.source": {"id": "Sumber", "en": "Source"},
    "peta.tt.missing": {"id": "Data tidak tersedia", "en": "No data"},
    "peta.error.kode": {"id": "Kode wilayah '{kode}' tidak dikenal; ditampilkan peta nasional.",
                        "en": "Unknown region code '{kode}'; showing the national map."},
    "peta.error.indikator": {
        "id": "Indikator '{indikator}' tidak dikenal; ditampilkan IDI.",
        "en": "Unknown indicator '{indikator}'; showing IDI."},
    "peta.error.tahun": {"id": "Tahun '{tahun}' tidak valid.", "en": "Invalid year '{tahun}'."},
    "peta.error.tahun_kosong": {
        "id": "Tidak ada data {indikator} untuk {tahun}; ditampilkan tahun terbaru ({terbaru}).",
        "en": "No {indikator} data for {tahun}; showing the latest year ({terbaru})."},
    "peta.error.kelas": {
        "id": "Klasifikasi '{kelas}' tidak dikenal; dipakai klasifikasi bawaan.",
        "en": "Unknown classification '{kelas}'; using the default."},
    "peta.error.kategori": {
        "id": "{indikator} tidak memiliki kategori resmi; dipakai kuantil.",
        "en": "{indikator} has no official categories; using quantiles."},
    "peta.error.tingkat": {
        "id": "{indikator} hanya tersedia sampai tingkat {tingkat}.",
        "en": "{indikator} is only available down to the {tingkat} level."},
    "col.code": {"id": "Kode", "en": "Code"},
    "col.region": {"id": "Provinsi", "en": "Province"},
    "col.value": {"id": "Nilai", "en": "Value"},
    "col.category": {"id": "Kategori", "en": "Category"},
    "col.rank": {"id": "Peringkat", "en": "Rank"},
    "col.change": {"id": "Perubahan", "en": "Change"},
    "col.source": {"id": "Sumber", "en": "Source"},
    "missing": {"id": "Data tidak tersedia", "en": "No data"},
    "simulated": {"id": "DATA SIMULASI", "en": "SIMULATED DATA"},
    "simulated.note": {
        "id": "Sebagian nilai adalah data simulasi untuk demonstrasi, bukan angka resmi.",
        "en": "Some values are simulated for demonstration, not official figures.",
    },
    "source.simulated": {"id": "Simulasi", "en": "Simulation"},
    "break.note": {"id": "Catatan metodologi", "en": "Methodology note"},
    "nodata.title": {"id": "Belum ada data", "en": "No data yet"},
    "nodata.body": {
        "id": "Basis data belum berisi nilai untuk indikator ini. Jalankan `make run` atau "
              "`mata-garuda data import FILE`.",
        "en": "The database has no values for this indicator yet. Run `make run` or "
              "`mata-garuda data import FILE`.",
    },
    "boundaries.missing": {
        "id": "Batas wilayah belum terpasang. Pasang dengan `mata-garuda geodata import PATH "
              "--level kecamatan --code-column KODE` atau atur MATA_GARUDA_BOUNDARIES_DIR.",
        "en": "Region boundaries are not installed. Install them with `mata-garuda geodata "
              "import PATH --level kecamatan --code-column KODE` or set "
              "MATA_GARUDA_BOUNDARIES_DIR.",
    },
    "signin.title": {"id": "Masuk", "en": "Sign in"},
    "signin.username": {"id": "Nama pengguna", "en": "Username"},
    "signin.password": {"id": "Kata sandi", "en": "Password"},
    "signin.submit": {"id": "Masuk", "en": "Sign in"},
    "signin.wrong": {
        "id": "Nama pengguna atau kata sandi salah.",
        "en": "Wrong username or password.",
    },
    "signin.locked": {
        "id": "Terlalu banyak percobaan gagal. Coba lagi setelah {time} UTC.",
        "en": "Too many failed attempts. Try again after {time} UTC.",
    },
    "signin.csrf": {
        "id": "Sesi formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "en": "The form expired. Reload the page and try again.",
    },
    "signin.change": {"id": "Ganti kata sandi", "en": "Change password"},
    "signin.new": {"id": "Kata sandi baru", "en": "New password"},
    "signin.again": {"id": "Ulangi kata sandi", "en": "Repeat password"},
    "signin.must": {
        "id": "Kata sandi ini dibuat otomatis: ganti sebelum melanjutkan.",
        "en": "This password was generated: change it before you go on.",
    },
    "signin.mismatch": {"id": "Kedua kata sandi tidak sama.", "en": "The two passwords differ."},
    "signin.policy": {
        "id": "Kata sandi perlu: {problems}.",
        "en": "The password needs: {problems}.",
    },
    "upload.range": {"id": "{low} s.d. {high}", "en": "{low} to {high}"},
    "upload.min": {"id": "minimal {low}", "en": "at least {low}"},
    "upload.max": {"id": "maksimal {high}", "en": "at most {high}"},
    "upload.current": {"id": "nilai tersimpan; tidak dibaca", "en": "stored value; not read"},
    "upload.reason": {"id": "opsional", "en": "optional"},
    "upload.whole": {"id": "bilangan bulat", "en": "whole number"},
    "upload.help": {
        "id": "Isi kolom value ({unit}; {range}). Koma atau titik desimal boleh (79,81 atau "
              "79.81), tanpa pemisah ribuan. Kosongkan jika tidak ada perubahan (kosong bukan"
              " nol). Jangan ubah kolom indicator, level, code, name dan year; jangan tambah "
              "sheet, gabung sel, atau rumus.",
        "en": "Fill the value column ({unit}; {range}). A decimal comma or point is fine "
              "(79,81 or 79.81), no thousands separators. Leave it empty for no change (empty"
              " is not zero). Do not edit indicator, level, code, name or year; do not add "
              "sheets, merge cells or use formulas.",
    },
    "notfound.title": {"id": "Halaman tidak ditemukan", "en": "Page not found"},
    "notfound.body": {"id": "Alamat ini tidak ada. Kembali ke Peta.",
                      "en": "This address does not exist. Go back to the map."},
}


def t(key: str, lang: str = "id", **values: object) -> str:
    """Return the text for ``key`` in ``lang``, with ``{name}`` fields filled in.

    Raises
    ------
    KeyError
        If ``key`` is not in the catalogue (a test checks every key used exists).
    """
    text = TEXTS[key].get(lang) or TEXTS[key]["id"]
    return text.format(**values) if values else text


def format_number(value: float | None, decimals: int = 2, lang: str = "id") -> str:
    """Format a number the way the language writes it: ``79,81`` / ``431.465`` in Indonesian.

    Missing values come back as the "no data" text, never as zero.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("missing", lang)
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def pick_language(cookie_value: str | None, default: str = "id") -> str:
    """Return a supported language from a cookie value, else ``default``."""
    return cookie_value if cookie_value in LANGUAGES else default
