"""Translation catalogue and number formatting: Bahasa Indonesia first, English second.

Every user-facing text goes through :func:`t`. The chosen language lives in the
``lang`` cookie, set by the switch in the header.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    "export.col.kab_offices": {"id": "Jumlah kantor kab/kota", "en": "Kab/kota offices"},
    "export.col.kab_verified": {"id": "Kab/kota diverifikasi", "en": "Kab/kota verified"},
    "kelengkapan.kab": {"id": "Kab/kota mengajukan", "en": "Kab/kota submitted"},
    "kelengkapan.kab_note": {"id": "Kab/kota: {n} dari {total} mengajukan, {verified} diverifikasi",
                             "en": "Kab/kota: {n} of {total} submitted, {verified} verified"},
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
    "isian.reason": {"id": "Alasan perubahan", "en": "Reason for the change"},
    "isian.area": {"id": "Wilayah", "en": "Area"},
    "isian.area.national": {"id": "Nasional dan provinsi", "en": "National and provinces"},
    "isian.last_reason": {"id": "Catatan terakhir", "en": "Last note"},
    "level.nasional": {"id": "Nasional", "en": "National"},
    "level.provinsi": {"id": "Provinsi", "en": "Province"},
    "level.kabkota": {"id": "Kab/kota", "en": "Kab/kota"},
    "level.kecamatan": {"id": "Kecamatan", "en": "Kecamatan"},
    "isian.done": {"id": "{n} nilai diproses.", "en": "{n} value(s) processed."},
    "isian.dberror": {
        "id": "Basis data tidak menjawab; tidak ada yang tersimpan. Coba simpan lagi.",
        "en": "The database did not answer; nothing was saved. Try saving again."},
    "isian.failed": {"id": "Tidak ada yang disimpan", "en": "Nothing was saved"},
    "isian.conflict": {"id": "Nilai sudah berubah; tidak ada yang disimpan",
                       "en": "The value changed meanwhile; nothing was saved"},
    "isian.help.unit": {"id": "Satuan", "en": "Unit"},
    "isian.help.range": {"id": "Nilai yang diterima", "en": "Accepted values"},
    "isian.help.decimals": {"id": "{n} angka desimal; koma atau titik (79,81 atau 79.81)",
                            "en": "{n} decimal places; a comma or a point (79,81 or 79.81)"},
    "isian.help.direction": {"id": "Arah", "en": "Direction"},
    "direction.higher_better": {"id": "makin tinggi makin baik",
                                "en": "higher is better"},
    "direction.higher_worse": {"id": "makin tinggi makin buruk",
                               "en": "higher is worse"},
    "direction.neutral": {"id": "tanpa arah baik/buruk", "en": "neither better nor worse"},
    "isian.help.empty": {
        "id": "Kosongkan sel untuk tidak mengubah nilai; kosong bukan nol.",
        "en": "Leave a cell empty to keep the value; empty is not zero."},
    "isian.new.invalid": {"id": "Di luar rentang atau bukan angka",
                          "en": "Out of range or not a number"},
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
    "export.label": {"id": "Unduh", "en": "Download"},
    "export.tooltip": {"id": "Unduh tabel ({fmt})", "en": "Download the table ({fmt})"},
    "export.yes": {"id": "Ya", "en": "Yes"},
    "export.no": {"id": "Tidak", "en": "No"},
    "export.col.unit": {"id": "Satuan", "en": "Unit"},
    "export.col.siblings": {"id": "Peringkat dari", "en": "Rank out of"},
    "export.col.change_from": {"id": "Perubahan dari {period}", "en": "Change from {period}"},
    "export.col.simulated": {"id": "Simulasi", "en": "Simulated"},
    "export.col.source_url": {"id": "Tautan sumber", "en": "Source link"},
    "export.col.recorded_by": {"id": "Dicatat oleh", "en": "Recorded by"},
    "export.title.peta": {"id": "{indicator} {period}: {area}",
                          "en": "{indicator} {period}: {area}"},
    "export.meta.indicator": {"id": "Indikator: {name} ({short}), satuan: {unit}",
                              "en": "Indicator: {name} ({short}), unit: {unit}"},
    "export.meta.period": {"id": "Tahun: {period}", "en": "Year: {period}"},
    "export.meta.area": {"id": "Wilayah: {area}", "en": "Area: {area}"},
    "export.meta.provinces": {"id": "Nasional dan semua provinsi",
                              "en": "National and all provinces"},
    "export.meta.sources": {"id": "Sumber nilai (selain simulasi): {sources}",
                            "en": "Sources of the values (other than simulated): {sources}"},
    "export.meta.published": {
        "id": "Berisi angka terbitan, isian yang sudah diverifikasi dan data simulasi "
              "(berlabel); draf tidak termasuk.",
        "en": "Contains published figures, verified entries and simulated data (labelled); "
              "drafts are not included."},
    "export.meta.scope": {"id": "Cakupan akun: {role}, {region}",
                          "en": "Account scope: {role}, {region}"},
    "export.meta.entries": {
        "id": "Nilai isian terbaru setiap wilayah, termasuk draf dan nilai yang belum "
              "diverifikasi.",
        "en": "The newest entered value of every region, drafts and unverified values "
              "included."},
    "export.meta.audit": {"id": "{n} entri terbaru, yang terbaru lebih dulu.",
                          "en": "The {n} newest entries, newest first."},
    "export.meta.exported": {"id": "Diekspor: {time} UTC", "en": "Exported: {time} UTC"},
    "export.expected.kode": {"id": "kode wilayah Kemendagri, mis. 32 atau 32.73",
                             "en": "a Kemendagri region code, e.g. 32 or 32.73"},
    "export.error.parameter": {
        "id": "Parameter '{name}' tidak valid: '{value}'. Yang diharapkan: {expected}.",
        "en": "Invalid parameter '{name}': '{value}'. Expected: {expected}."},
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
    "policy.min": {"id": "minimal {n} karakter", "en": "at least {n} characters"},
    "policy.max": {"id": "maksimal {n} karakter", "en": "at most {n} characters"},
    "policy.kinds": {"id": "tiga dari: huruf kecil, huruf besar, angka, karakter lain",
                     "en": "three of: lower case, upper case, digits, other characters"},
    "policy.common": {"id": "bukan kata sandi yang umum", "en": "not a common password"},
    "policy.username": {"id": "tidak memuat nama pengguna", "en": "not containing the username"},
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
    # The write path's messages (ingest/entry.py, ingest/upload.py), rendered by the pages.
    "entry.at_code": {"id": "{code}: {problem}", "en": "{code}: {problem}"},
    "entry.unknown_code": {"id": "kode wilayah {code!r} tidak dikenal",
                           "en": "unknown region code {code!r}"},
    "entry.not_defined_below": {"id": "{indicator} tidak tersedia di bawah tingkat {level}",
                                "en": "{indicator} is not defined below {level}"},
    "entry.no_period": {
        "id": "{indicator} tidak memiliki periode {period}; periode yang ada: {periods}",
        "en": "{indicator} has no period {period}; periods: {periods}"},
    "entry.reason_too_long": {"id": "alasan {n} karakter; maksimal {limit}",
                              "en": "reason is {n} characters; at most {limit}"},
    "entry.out_of_range": {"id": "{value} di luar rentang {indicator} ({range})",
                           "en": "{value} is outside the range of {indicator} ({range})"},
    "entry.range_any": {"id": "angka berapa pun", "en": "any number"},
    "entry.not_number": {"id": "{value} bukan angka", "en": "{value} is not a number"},
    "entry.wrong_status": {
        "id": "tidak dapat {action} nilai berstatus {status} (status yang boleh: {allowed})",
        "en": "cannot {action} a value with status {status} (allowed: {allowed})"},
    "entry.action.submit": {"id": "mengajukan", "en": "submit"},
    "entry.action.verify": {"id": "memverifikasi", "en": "verify"},
    "entry.action.reject": {"id": "menolak", "en": "reject"},
    "entry.action.withdraw": {"id": "menarik", "en": "withdraw"},
    "entry.reject_comment": {
        "id": "penolakan perlu komentar yang menjelaskan apa yang harus diperbaiki",
        "en": "a rejection needs a comment saying what to fix"},
    "entry.withdraw_reason": {"id": "penarikan nilai perlu alasan",
                              "en": "withdrawing a value needs a reason"},
    "entry.no_version": {"id": "versi {version} dari {indicator} {code} {period} tidak ada",
                         "en": "no version {version} of {indicator} {code} {period}"},
    "entry.unknown_action": {"id": "tindakan {action!r} tidak dikenal",
                             "en": "unknown action {action!r}"},
    "entry.nothing_yet": {"id": "belum ada isian", "en": "nothing entered yet"},
    "entry.conflict": {
        "id": "nilai sudah diubah oleh {by} pada {at} UTC (sekarang versi {version}, {status});"
              " muat ulang halaman lalu coba lagi",
        "en": "changed meanwhile by {by} at {at} UTC (now version {version}, {status}); reload"
              " and try again"},
    "entry.conflict.race": {
        "id": "nilai baru saja diubah pengguna lain; muat ulang halaman lalu coba lagi",
        "en": "changed meanwhile; reload and try again"},
    "upload.cell": {"id": "baris {row}, kolom {column}: {problem}",
                    "en": "row {row}, column {column}: {problem}"},
    "upload.at_row": {"id": "baris {row}: {problem}", "en": "row {row}: {problem}"},
    "upload.unknown_indicator": {"id": "indikator {indicator!r} tidak dikenal; yang ada: {known}",
                                 "en": "unknown indicator {indicator!r}; known: {known}"},
    "upload.unknown_format": {"id": "format {fmt!r} tidak dikenal; pilih csv atau xlsx",
                              "en": "unknown format {fmt!r}; expected csv or xlsx"},
    "upload.conflict": {
        "id": "baris {row} ({indicator} {code} {period}): {cause}; tidak ada isian dari berkas "
              "ini yang tersimpan - unggah berkas lagi untuk melihat nilai terkini",
        "en": "row {row} ({indicator} {code} {period}): {cause}; nothing of this upload was "
              "saved - upload the file again to see the current values"},
    "upload.refused": {"id": "baris {row}: {cause}; tidak ada yang tersimpan",
                       "en": "row {row}: {cause}; nothing was saved"},
    "upload.gone": {
        "id": "baris {row}: {indicator} sudah tidak ada di katalog; tidak ada yang tersimpan",
        "en": "row {row}: {indicator} is no longer in the catalogue; nothing was saved"},
    "upload.has_problems": {
        "id": "{filename}: {n} masalah; perbaiki berkas lalu unggah lagi; tidak ada yang "
              "tersimpan",
        "en": "{filename}: {n} problem(s); fix the file and upload it again; nothing was saved"},
    "upload.other_user": {"id": "{filename} diperiksa untuk {checked!r}, bukan {user!r}; "
                                "unggah lagi",
                          "en": "{filename} was checked for {checked!r}, not {user!r}; upload "
                                "it again"},
    "upload.no_entry": {"id": "akun Anda ({role}) tidak boleh mengisi nilai",
                        "en": "your account ({role}) may not enter values"},
    "upload.outside": {
        "id": "{code} ({name}) di luar wilayah Anda, {home_name} ({home}); Anda boleh mengisi "
              "nilai untuk {home} dan wilayah di dalamnya",
        "en": "{code} ({name}) is outside your region {home_name} ({home}); you may enter "
              "values for {home} and the regions in it"},
    "upload.file_type": {
        "id": "jenis berkas {suffix!r} tidak didukung; unggah templat sebagai .xlsx atau CSV "
              "UTF-8 (.csv)",
        "en": "unsupported file type {suffix!r}; upload the template as .xlsx or as CSV UTF-8 "
              "(.csv)"},
    "upload.too_big": {
        "id": "ukuran berkas {size:.1f} MB, melebihi batas {limit} MB; pecah menjadi beberapa "
              "berkas yang lebih kecil",
        "en": "the file is {size:.1f} MB, more than the limit of {limit} MB; split it into "
              "smaller files"},
    "upload.empty_file": {"id": "berkas kosong", "en": "the file is empty"},
    "upload.no_rows": {"id": "tidak ada baris data di bawah baris judul",
                       "en": "no data rows below the header"},
    "upload.all_empty": {
        "id": "semua sel kolom value kosong; isi kolom value (sel kosong berarti tidak ada "
              "perubahan)",
        "en": "every value cell is empty; fill in the value column (an empty value means no "
              "change)"},
    "upload.duplicate": {"id": "duplikat baris {first} ({indicator}, {code}, {period})",
                         "en": "duplicate of row {first} ({indicator}, {code}, {period})"},
    "upload.too_many": {
        "id": "{count} baris data; batasnya {limit} baris: pecah menjadi beberapa berkas yang "
              "lebih kecil",
        "en": "{count:,} data rows; the limit is {limit:,}: split the file into smaller ones"},
    "upload.too_many_more": {
        "id": "lebih dari {limit} baris data; batasnya {limit} baris: pecah menjadi beberapa "
              "berkas yang lebih kecil",
        "en": "more than {limit:,} data rows; the limit is {limit:,}: split the file into "
              "smaller ones"},
    "upload.save_as": {
        "id": "di Excel pilih File > Simpan Sebagai (Save As) > 'CSV UTF-8 (Comma delimited) "
              "(*.csv)'",
        "en": "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'"},
    "upload.nul_bytes": {
        "id": "berkas berisi byte NUL (UTF-16 tanpa byte-order mark?); {save_as}",
        "en": "the file holds NUL bytes (UTF-16 without a byte-order mark?); {save_as}"},
    "upload.nul_chars": {"id": "berkas berisi karakter NUL; {save_as}",
                         "en": "the file holds NUL characters; {save_as}"},
    "upload.not_text": {"id": "bukan teks {kind} (byte ke-{offset}: {bad}); {save_as}",
                        "en": "not {kind} text (byte {offset}: {bad}); {save_as}"},
    "upload.cell_count": {
        "id": "{cells} sel, padahal baris judul punya {columns} kolom; beri tanda kutip pada "
              'koma desimal ("79,81"), tulis 79.81, atau pisahkan kolom dengan titik koma',
        "en": "{cells} cells, but the header has {columns} columns; put a decimal comma inside"
              ' quotes ("79,81"), write 79.81, or separate the columns with semicolons'},
    "upload.bad_csv": {"id": "tidak dapat dibaca sebagai CSV: {detail}",
                       "en": "cannot be read as CSV: {detail}"},
    "upload.not_xlsx": {
        "id": "bukan buku kerja XLSX (berkas .xls lama?); di Excel pilih File > Simpan Sebagai"
              " (Save As) > 'Excel Workbook (*.xlsx)'",
        "en": "not an XLSX workbook (an old .xls file?); in Excel choose File > Save As > "
              "'Excel Workbook (*.xlsx)'"},
    "upload.unzipped": {
        "id": "buku kerja berukuran lebih dari {limit} MB setelah dibuka; pecah menjadi "
              "beberapa berkas yang lebih kecil",
        "en": "the workbook unpacks to more than {limit} MB; split it into smaller files"},
    "upload.macros": {
        "id": "buku kerja berisi makro; simpan sebagai 'Excel Workbook (*.xlsx)' tanpa makro",
        "en": "the workbook contains macros; save it as 'Excel Workbook (*.xlsx)' without "
              "macros"},
    "upload.bad_xlsx": {"id": "tidak dapat dibaca sebagai buku kerja XLSX: {detail}",
                        "en": "cannot be read as an XLSX workbook: {detail}"},
    "upload.sheets": {
        "id": "buku kerja berisi {n} sheet ({names}); sisakan hanya sheet data: hapus {extra}",
        "en": "the workbook has {n} sheets ({names}); keep only the data sheet: delete {extra}"},
    "upload.chart": {"id": "sheet {sheet!r} berisi grafik, bukan tabel nilai",
                     "en": "sheet {sheet!r} is a chart, not a table of values"},
    "upload.merged": {
        "id": "sel gabungan {cells} di sheet {sheet!r}; pisahkan (unmerge) agar setiap nilai "
              "punya sel sendiri",
        "en": "merged cells {cells} on sheet {sheet!r}; unmerge them so that every value has "
              "its own cell"},
    "upload.formula": {
        "id": "baris {row}, kolom {column} (sel {cell}): berisi rumus {formula!r}; isi harus "
              "angka atau teks biasa (salin, lalu Tempel Spesial (Paste Special) > Nilai)",
        "en": "row {row}, column {column} (cell {cell}): a formula {formula!r}; values must be "
              "plain numbers or text (copy, then Paste Special > Values)"},
    "upload.twice": {"id": "kolom {column} muncul dua kali (kolom {first} dan {second})",
                     "en": "column {column} appears twice (columns {first} and {second})"},
    "upload.missing_columns": {
        "id": "kolom {missing} tidak ada; baris judul harus memuat {columns} (reason boleh "
              "tidak ada)",
        "en": "missing column(s) {missing}; the header must name {columns} (reason is "
              "optional)"},
    "upload.unknown_level": {"id": "tingkat {level!r} tidak dikenal; pilih salah satu: {levels}",
                             "en": "unknown level {level!r}; expected one of {levels}"},
    "upload.empty_code": {"id": "kode wilayah kosong", "en": "empty region code"},
    "upload.dropped_zero": {
        "id": "kode wilayah {code!r} tidak dikenal (angka nol di akhir mungkin terhapus oleh "
              "Excel: pakai templat XLSX atau format kolom sebagai Teks)",
        "en": "unknown region code {code!r} (a trailing zero may have been dropped by Excel: "
              "use the XLSX template or format the column as Text)"},
    "upload.level_mismatch": {"id": "{code} adalah kode {actual}, tetapi kolom level berisi "
                                    "{level}",
                              "en": "{code} is a {actual} code, but level says {level}"},
    "upload.empty_name": {
        "id": "nama kosong; seharusnya {official!r} (nama mencegah salah ketik kode)",
        "en": "empty name; expected {official!r} (the name guards against a mistyped code)"},
    "upload.name_mismatch": {"id": "{name!r} tidak cocok dengan kode {code} ({official})",
                             "en": "{name!r} does not match code {code} ({official})"},
    "upload.bad_year": {"id": "tahun {year!r} tidak valid; tulis tahun seperti 2024",
                        "en": "bad year {year!r}; expected a year such as 2024"},
    "upload.reason_length": {"id": "{n} karakter; maksimal {limit}",
                             "en": "{n} characters; at most {limit}"},
    "upload.date": {
        "id": "tanggal atau jam ({value}), bukan angka; ubah format sel menjadi Angka (Number)",
        "en": "a date or time ({value}), not a number; format the cell as Number"},
    "upload.thousands": {
        "id": "{text!r} memakai pemisah ribuan atau lebih dari satu tanda desimal; tulis angka "
              "dengan satu koma atau titik desimal tanpa pemisah ribuan, misalnya 1234,5 atau "
              "1234.5",
        "en": "{text!r} has thousands separators or several decimal marks; write the number "
              "with one decimal point or comma and no thousands separators, e.g. 1234.5 or "
              "1234,5"},
    "upload.not_number": {
        "id": "bukan angka: {text!r}; tulis angka seperti 79,81 atau 79.81 (tanpa satuan, "
              "tanpa tanda %)",
        "en": "not a number: {text!r}; expected a number such as 79.81 or 79,81 (no units, no "
              "% sign)"},
    "upload.not_finite": {"id": "bukan angka: {text!r}", "en": "not a number: {text!r}"},
    "upload.count_whole": {"id": "{indicator} harus bilangan bulat ({unit_id}); tertulis {text}",
                           "en": "{indicator} counts whole {unit_en}; got {text}"},
    "upload.count_thousands": {
        "id": "{indicator} harus bilangan bulat ({unit_id}); tertulis {text} - pemisah ribuan "
              "tidak boleh; tulis 1234, bukan 1.234",
        "en": "{indicator} counts whole {unit_en}; got {text} - thousands separators are not "
              "allowed; write 1234, not 1.234"},
    "export.image.tooltip": {"id": "Unduh peta ({fmt})", "en": "Download the map ({fmt})"},
    "export.image.title": {"id": "{indicator}{period} · {area}",
                           "en": "{indicator}{period} · {area}"},
    "export.image.title_change": {"id": "Perubahan {indicator} {base}–{period} · {area}",
                                  "en": "Change in {indicator} {base}–{period} · {area}"},
    "export.image.subtitle": {"id": "{name} · satuan: {unit} · tingkat: {level}",
                              "en": "{name} · unit: {unit} · level: {level}"},
    "export.image.sources": {"id": "Sumber: {sources}", "en": "Source: {sources}"},
    "export.image.footer": {"id": "Mata Garuda · diekspor {time} UTC",
                            "en": "Mata Garuda · exported {time} UTC"},
    "export.trend.tooltip": {"id": "Unduh tren ({fmt})", "en": "Download the trend ({fmt})"},
    "export.trend.title": {"id": "Tren {indicator} {years} · {area}",
                           "en": "{indicator} trend {years} · {area}"},
    "export.trend.subtitle": {"id": "{name} · satuan: {unit} · {direction}",
                              "en": "{name} · unit: {unit} · {direction}"},
    "export.trend.simulated": {"id": "simulasi", "en": "simulated"},
    "export.trend.target": {"id": "Target {period}: {value}", "en": "Target {period}: {value}"},
    "export.trend.break": {"id": "metodologi baru {period}", "en": "new method {period}"},
    "export.trend.break_note": {"id": "Metodologi {period}: {note}",
                                "en": "Method {period}: {note}"},
    "export.trend.col.value": {"id": "Nilai {name}", "en": "{name} value"},
    "export.trend.col.simulated": {"id": "Simulasi {name}", "en": "{name} simulated"},
    "export.trend.col.target_low": {"id": "Target (batas bawah)", "en": "Target (low)"},
    "export.trend.col.target_high": {"id": "Target (batas atas)", "en": "Target (high)"},
    "export.trend.meta.target": {"id": "Target: target nasional tahun itu",
                                 "en": "Target: the national target of that year"},
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


@dataclass(frozen=True, init=False)
class Message:
    """A catalogue text not rendered yet: its key and the values of its fields.

    Code below the pages (the write path) raises and returns these instead of
    English strings, and a page renders them in the user's language. A value may
    itself be a :class:`Message` (rendered in the same language) or a tuple of
    values (rendered and joined with ``", "``). ``str(message)`` is the English text,
    for logs, the command line and tests. Immutable, hashable and picklable, so a
    message can sit in a frozen dataclass kept in the server cache.

    Examples
    --------
    >>> msg = Message("peta.error.kode", kode="99")
    >>> msg.text("id")
    "Kode wilayah '99' tidak dikenal; ditampilkan peta nasional."
    >>> str(msg)
    "Unknown region code '99'; showing the national map."
    """

    key: str
    values: tuple[tuple[str, object], ...]

    def __init__(self, key: str, /, **values: object) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", tuple(values.items()))

    def text(self, lang: str = "id") -> str:
        """Return the text in ``lang``, with every field filled in."""
        return t(self.key, lang, **{name: _render(v, lang) for name, v in self.values})

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        fields = "".join(f", {name}={value!r}" for name, value in self.values)
        return f"Message({self.key!r}{fields})"


class MessageError(ValueError):
    """An error whose :class:`Message` a page shows in the user's language.

    ``error.message`` is the message; ``str(error)`` is its English text.
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _render(value: object, lang: str) -> object:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, tuple):
        return ", ".join(str(_render(v, lang)) for v in value)
    return value


def text_of(value: Message | str, lang: str = "id") -> str:
    """Return a :class:`Message` rendered in ``lang``, or a plain string as it is."""
    return value.text(lang) if isinstance(value, Message) else value


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
