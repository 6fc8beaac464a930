"""Speed and memory of the standardise stage.

    python benchmarks/bench_standardise.py [ROWS] [WORKERS]          # synthetic staged rows
    python benchmarks/bench_standardise.py --samples [CUSTOMERS]      # `samples generate` + extract
    python benchmarks/bench_standardise.py --accuracy                 # countries, phones, addresses
    python benchmarks/bench_standardise.py --save CUSTOMERS staged.parquet; then
    python benchmarks/bench_standardise.py --staged staged.parquet [WORKERS]   # the stage alone

Synthesises realistic staged rows on the fly, seeded (`crmmigrate.samples.generate` writes legacy
export files, which would need the extract stage first): names with titles and odd case, phones in
national and international formats, countries in many forms, one-line addresses, emails with
typos, dates in mixed orders.
"""

from __future__ import annotations

import random
import resource
import sys
import time

import pandas as pd

from crmmigrate.cleanse import StandardiseOptions, standardise

FIRST = ["bob", "Kate", "HANS", "José", "Anna-Lena", "mary", "Sepp", "Jean", "Olga", "Liam", "Yuki", "Priya"]
LAST = [
    "SMITH",
    "müller",
    "O'Neil",
    "mcdonald",
    "van der Berg",
    "García López",
    "Dupont",
    "Ivanova",
    "Tanaka",
]
COUNTRIES = [
    "DE",
    "Germany",
    "Deutschland",
    "USA",
    "United States",
    "UK",
    "GB",
    "France",
    "FR",
    "España",
    "Nederland",
    "Holland",
    "Österreich",
    "Suisse",
    "Italia",
    "Polska",
    "日本",
    "Россия",
    None,
    "",
]
PHONES = [
    "030 {a}{b}",
    "+49 (0)30 {a}{b}",
    "0049 89 {a}{b}",
    "(212) 555-{b}",
    "+1 415 555 {b}",
    "020 7946 {b}",
    "+44 20 7946 {b}",
    "01 23 45 {b2}",
    "+33 1 42 {b2} 00",
    "Tel: 0171 {a}{b}",
    "n/a",
    None,
]
STREETS = [
    "Hauptstraße {n}, 10115 Berlin",
    "{n} Main St, Springfield, IL 62704",
    "{n} rue de Rivoli, 75001 Paris",
    "Damrak {n}, 1012 LG Amsterdam",
    "{n} Baker Street, London NW1 6XE",
    "Calle Mayor {n}",
]
DOMAINS = ["gmail.com", "GMX.de", "gmial.com", "yahoo.com", "hotmail.con", "example.org", "firma.de"]
DATES = ["{d:02d}/{m:02d}/19{y:02d}", "19{y:02d}-{m:02d}-{d:02d}", "{d}. {m}. 19{y:02d}", "{m}/{d}/19{y:02d}"]


def synthesise(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    records = []
    for i in range(rows):
        a, b = rng.randint(100, 999), rng.randint(1000, 9999)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(30, 99)
        one_line = rng.random() < 0.3
        records.append(
            {
                "source": rng.choice(["crm", "shop", "erp"]),
                "source_row": i + 1,
                "source_key": f"K{i}",
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{i}@{rng.choice(DOMAINS)}",
                "phone": (p := rng.choice(PHONES)) and p.format(a=a, b=b, b2=f"{b % 100:02d}"),
                "address_line1": rng.choice(STREETS).format(n=rng.randint(1, 200)),
                "city": None if one_line else rng.choice(["Berlin", "BERLIN", "Paris", "London", "münchen"]),
                "postal_code": None if one_line else str(rng.randint(1000, 99999)),
                "country": rng.choice(COUNTRIES),
                "date_of_birth": rng.choice(DATES).format(d=d, m=m, y=y),
                "created_at": f"2021-{m:02d}-{d:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00",
            }
        )
    return pd.DataFrame.from_records(records)


def sample_rows(customers: int) -> tuple[pd.DataFrame, StandardiseOptions]:
    """Staged rows of `crmmigrate samples generate` data (exports generated, then extracted)."""
    import tempfile

    from crmmigrate.config import load_config
    from crmmigrate.extract import extract_source
    from crmmigrate.samples import generate

    with tempfile.TemporaryDirectory() as tmp:
        made = generate(customers, tmp, seed=7)
        config = load_config(made.files["config"])
        frames = [extract_source(source, config).staged for source in config.sources]
    return pd.concat(frames, ignore_index=True), config.standardise


# ----------------------------------------------------------------------------- accuracy corpora
#: One-line addresses of 25 countries: (line, country hint, expected (city, postal code, country)).
ADDRESSES = [
    ("1600 Pennsylvania Ave NW, Washington, DC 20500", None, ("Washington", "20500", "US")),
    ("123 Main St Apt 4, Springfield, IL 62704, USA", None, ("Springfield", "62704", "US")),
    ("350 Fifth Avenue, New York, NY 10118", "US", ("New York", "10118", "US")),
    ("10 Downing Street, London SW1A 2AA", None, ("London", "SW1A 2AA", "GB")),
    ("221B Baker Street, London NW1 6XE, United Kingdom", None, ("London", "NW1 6XE", "GB")),
    ("24 Sussex Drive, Ottawa, ON K1M 1M4", "CA", ("Ottawa", "K1M 1M4", "CA")),
    ("1000 Rue Sherbrooke O, Montréal, QC H3A 3G4, Canada", None, ("Montréal", "H3A 3G4", "CA")),
    ("1 rue de Rivoli, 75001 Paris", "FR", ("Paris", "75001", "FR")),
    ("8 Avenue des Champs-Élysées, 75008 Paris, France", None, ("Paris", "75008", "FR")),
    ("Hauptstraße 12, 10115 Berlin", "DE", ("Berlin", "10115", "DE")),
    ("Hauptstraße 12, 10115 Berlin, Deutschland", None, ("Berlin", "10115", "DE")),
    ("Marienplatz 1, D-80331 München", "DE", ("München", "80331", "DE")),
    ("Damrak 1, 1012 LG Amsterdam, Netherlands", None, ("Amsterdam", "1012 LG", "NL")),
    ("ul. Marszałkowska 10, 00-590 Warszawa", "PL", ("Warszawa", "00-590", "PL")),
    ("Bahnhofstrasse 1, 8001 Zürich, Switzerland", None, ("Zürich", "8001", "CH")),
    ("Calle Mayor 5, 28013 Madrid, España", None, ("Madrid", "28013", "ES")),
    ("Via Roma 10, 00184 Roma RM, Italia", None, ("Roma", "00184", "IT")),
    (
        "Av. Paulista, 1000 - Bela Vista, São Paulo - SP, 01310-100, Brasil",
        None,
        ("São Paulo", "01310-100", "BR"),
    ),
    ("Av. Corrientes 1234, C1043AAZ CABA, Argentina", None, ("CABA", "C1043AAZ", "AR")),
    ("George St 100, Sydney NSW 2000, Australia", None, ("Sydney", "2000", "AU")),
    ("12 Queen Street, Auckland 1010, New Zealand", None, ("Auckland", "1010", "NZ")),
    ("〒100-0001 東京都千代田区千代田1-1", None, ("千代田区", "100-0001", "JP")),
    ("1-1 Chiyoda, Chiyoda-ku, Tokyo 100-8111, Japan", None, ("Chiyoda-ku", "100-8111", "JP")),
    ("12 MG Road, Bengaluru, Karnataka 560001, India", None, ("Bengaluru", "560001", "IN")),
    ("1 Raffles Place, Singapore 048616", None, ("Singapore", "048616", "SG")),
    ("ул. Тверская, д. 7, Москва, 125009, Россия", None, ("Москва", "125009", "RU")),
    ("Istiklal Cd. 10, 34430 Beyoğlu/İstanbul, Türkiye", None, ("Beyoğlu/İstanbul", "34430", "TR")),
    ("Storgatan 1, 111 22 Stockholm, Sweden", None, ("Stockholm", "111 22", "SE")),
    ("Václavské nám. 1, 110 00 Praha 1, Czechia", None, ("Praha 1", "110 00", "CZ")),
    ("Av. Reforma 222, 06600 Ciudad de México, CDMX, México", None, ("Ciudad de México", "06600", "MX")),
    ("Strøget 1, 1160 København K, Denmark", None, ("København K", "1160", "DK")),
    ("Mannerheimintie 1, 00100 Helsinki, Finland", None, ("Helsinki", "00100", "FI")),
    ("Karl Johans gate 1, 0154 Oslo, Norway", None, ("Oslo", "0154", "NO")),
    ("Rue Neuve 1, 1000 Bruxelles, Belgium", None, ("Bruxelles", "1000", "BE")),
    ("Rua Augusta 1, 1100-048 Lisboa, Portugal", None, ("Lisboa", "1100-048", "PT")),
    ("Stephansplatz 1, 1010 Wien, Österreich", None, ("Wien", "1010", "AT")),
    ("5 Main St, Dublin 2, D02 X285, Ireland", None, ("Dublin 2", "D02 X285", "IE")),
    ("Laugavegur 1, 101 Reykjavík, Iceland", None, ("Reykjavík", "101", "IS")),
    ("Avenue de la Gare 1, 1003 Lausanne", "CH", ("Lausanne", "1003", "CH")),
    ("Grand-Rue 1, L-1660 Luxembourg", "LU", ("Luxembourg", "1660", "LU")),
    ("Herengracht 100, 1015BS Amsterdam", "NL", ("Amsterdam", "1015 BS", "NL")),
    ("Calle de Alcalá 50, 28014 Madrid", "ES", ("Madrid", "28014", "ES")),
    ("Corso Buenos Aires 1, 20124 Milano MI", "IT", ("Milano", "20124", "IT")),
    ("Avenida 9 de Julio 1000, C1043 Buenos Aires, Argentina", None, ("Buenos Aires", "C1043", "AR")),
    ("45 Collins Street, Melbourne VIC 3000", "AU", ("Melbourne", "3000", "AU")),
    ("Flat 3, 14 High Street, Manchester M1 1AA", "GB", ("Manchester", "M1 1AA", "GB")),
    ("500 Yonge St, Toronto ON M4Y 1X9", "CA", ("Toronto", "M4Y 1X9", "CA")),
    ("Nevsky pr. 28, St Petersburg 191186, Russia", None, ("St Petersburg", "191186", "RU")),
    ("Rynek Główny 1, 31-042 Kraków, Polska", None, ("Kraków", "31-042", "PL")),
    ("Kungsgatan 10, 411 19 Göteborg", "SE", ("Göteborg", "411 19", "SE")),
    ("Aleksanterinkatu 52, 00100 Helsinki", "FI", ("Helsinki", "00100", "FI")),
    ("Rua Oscar Freire 100, São Paulo - SP, 01426-000", "BR", ("São Paulo", "01426-000", "BR")),
    ("Insurgentes Sur 1000, 03100 Benito Juárez, CDMX", "MX", ("Benito Juárez", "03100", "MX")),
    ("Connaught Place 5, New Delhi 110001", "IN", ("New Delhi", "110001", "IN")),
    ("Atatürk Cd. 5, 06420 Çankaya/Ankara", "TR", ("Çankaya/Ankara", "06420", "TR")),
    ("1 Infinite Loop, Cupertino, CA 95014", None, ("Cupertino", "95014", "US")),
    ("Nyhavn 17, 1051 København", "DK", ("København", "1051", "DK")),
    ("Karlova 1, 110 00 Praha", "CZ", ("Praha", "110 00", "CZ")),
    ("Lambton Quay 1, Wellington 6011", "NZ", ("Wellington", "6011", "NZ")),
    ("Orchard Road 238, Singapore 238851", "SG", ("Singapore", "238851", "SG")),
]


def country_corpus(rng: random.Random) -> list[tuple[str, str]]:
    """Every country as code, name and official name, in 12 languages, in odd case, and with one typo."""
    import gettext

    import pycountry

    languages = ["de", "fr", "es", "it", "nl", "pt", "pl", "sv", "ru", "ja", "zh_CN", "tr"]
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in languages
    ]
    corpus = []
    for country in pycountry.countries:
        code = country.alpha_2
        corpus += [
            (country.alpha_3, code),
            (country.numeric, code),
            (country.name, code),
            (country.name.upper(), code),
        ]
        corpus += [(t.gettext(country.name), code) for t in translations]
        name = getattr(country, "common_name", country.name)
        if len(name) >= 8 and name.isascii():
            i = rng.randrange(1, len(name) - 2)
            corpus.append((name[:i] + name[i + 1] + name[i] + name[i + 2 :], code))  # transposed letters
    return corpus


def phone_corpus() -> list[tuple[str, str, str]]:
    """Example numbers of every region in E.164, international, national, RFC 3966, 00, dotted, labelled."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    corpus = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            forms = [
                e164,
                international,
                national,
                "00" + e164[1:],
                "Tel: " + international,
                phonenumbers.format_number(number, PhoneNumberFormat.RFC3966),
                international.replace(" ", "."),
            ]
            corpus += [(form, region, e164) for form in forms]
    return corpus


def accuracy() -> None:
    from crmmigrate.cleanse.address import parse_one_line
    from crmmigrate.cleanse.country import resolve_country
    from crmmigrate.cleanse.phone import standardise_phone
    from crmmigrate.cleanse.postal import standardise_postal_code

    countries = country_corpus(random.Random(7))
    hits = sum(resolve_country(text) == code for text, code in countries)
    print(f"countries: {hits}/{len(countries)} = {hits / len(countries):.1%}")
    phones = phone_corpus()
    hits = sum(standardise_phone(text, region)[0] == e164 for text, region, e164 in phones)
    regions = len({r for _, r, _ in phones})
    print(f"phones ({regions} regions): {hits}/{len(phones)} = {hits / len(phones):.1%}")
    hits = 0
    for line, hint, (city, postal, country) in ADDRESSES:
        found = parse_one_line(line, hint)
        if found is not None:
            where = found.country or hint
            hits += (found.city, standardise_postal_code(found.postal_code, where)[0], where) == (
                city,
                postal,
                country,
            )
    print(f"addresses: {hits}/{len(ADDRESSES)} = {hits / len(ADDRESSES):.1%}")


def main() -> None:
    if "--accuracy" in sys.argv:
        accuracy()
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rows = int(args[0]) if args and args[0].isdigit() else 200_000
    workers = int(args[1]) if len(args) > 1 and args[1].isdigit() else None
    if "--save" in sys.argv:  # write the staged sample rows once, to time them alone later
        staged, _ = sample_rows(rows)
        staged.to_parquet(args[1] if len(args) > 1 else "staged.parquet", index=False)
        return
    if "--staged" in sys.argv:  # a staged file: memory then counts the stage alone
        staged, options = pd.read_parquet(args[0]), StandardiseOptions(default_country="DE")
        workers = int(args[1]) if len(args) > 1 else None
    elif "--samples" in sys.argv:  # rows = customers; each appears in one or more exports
        staged, options = sample_rows(rows)
    else:
        staged, options = synthesise(rows), StandardiseOptions(default_country="DE")
    print(f"staged rows: {len(staged)}", flush=True)
    start = time.perf_counter()
    clean = standardise(staged, options.model_copy(update={"workers": workers}))
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Worker processes come from a forkserver, so their memory is not in RUSAGE_CHILDREN:
    # watch them with `ps` when it matters (about 400 MiB each at 50,000-row chunks).
    print(
        f"rows={len(clean)} seconds={seconds:.1f} rows/s={len(clean) / seconds:,.0f} "
        f"peak_rss_main={own:,.0f} MiB"
    )
    for field in ("country", "phone", "postal_code", "email", "date_of_birth"):
        print(field, clean[f"{field}_status"].value_counts().to_dict())


if __name__ == "__main__":
    main()
