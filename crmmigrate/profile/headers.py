"""Column names of customer exports in English, German, French, Spanish, Italian, Dutch and
Portuguese, and how well a header names each canonical field."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

#: field -> names seen in real exports (matched after folding case, accents and punctuation).
# fmt: off
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source_key": (
        "id", "record id", "customer id", "customer number", "customer no", "client id", "contact id",
        "person id", "account number", "external id", "uuid", "guid", "key", "kundennummer", "kundennr",
        "kunden nr", "kunden id", "kd nr", "kdnr", "numero client", "n client", "no client", "id client",
        "code client", "ref client", "numero de cliente", "id cliente", "codigo cliente", "codice cliente",
        "klantnummer", "klant id", "klantnr", "relatienummer", "numero do cliente", "cliente id",
        "customer ref", "user id", "contactid",
    ),
    "first_name": (
        "first name", "firstname", "given name", "forename", "fname", "first", "vorname", "rufname",
        "prenom", "nombre", "nome", "primo nome", "voornaam", "roepnaam", "primeiro nome", "christian name",
        "given names",
    ),
    "last_name": (
        "last name", "lastname", "surname", "family name", "lname", "last", "nachname", "familienname",
        "zuname", "nom", "nom de famille", "apellido", "apellidos", "primer apellido", "cognome",
        "achternaam", "sobrenome", "apelido", "ultimo nome",
    ),
    "full_name": (
        "name", "full name", "fullname", "contact name", "contact", "person", "person name", "customer name",
        "client name", "display name", "kontakt", "ansprechpartner", "kundenname", "vollstandiger name",
        "nom complet", "nom et prenom", "nombre completo", "nome completo", "nominativo", "volledige naam",
        "naam", "klantnaam", "cliente", "nombre y apellidos", "nome e cognome",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "organization name", "account",
        "account name", "employer", "business name", "firma", "firmenname", "unternehmen", "societe",
        "entreprise", "raison sociale", "nom de l entreprise", "empresa", "compania", "razon social",
        "azienda", "ragione sociale", "societa", "bedrijf", "bedrijfsnaam", "organisatie", "nome da empresa",
        "org",
    ),
    "email": (
        "email", "e mail", "email address", "e mail address", "mail", "emailadresse", "e mail adresse",
        "courriel", "adresse email", "adresse e mail", "adresse mail", "correo", "correo electronico",
        "email personal", "posta elettronica", "indirizzo email", "indirizzo e mail", "e mailadres",
        "emailadres", "endereco de email", "endereco de e mail", "work email", "primary email", "email 1",
    ),
    "phone": (
        "phone", "phone number", "telephone", "tel", "telefon", "telefonnummer", "tel nr", "telefono",
        "numero de telephone", "telephone fixe", "numero de telefono", "numero di telefono", "telefoon",
        "telefoonnummer", "telefone", "business phone", "office phone", "work phone", "home phone",
        "festnetz", "phone 1", "telefon privat", "telefon geschaftlich", "fone",
    ),
    "mobile_phone": (
        "mobile", "mobile phone", "mobile number", "mobile phone number", "cell", "cell phone", "cellphone",
        "handy", "handynummer", "mobil", "mobilnummer", "mobiltelefon", "portable", "telephone portable",
        "tel portable", "movil", "telefono movil", "celular", "cellulare", "mobiel", "mobiel nummer", "gsm",
        "telemovel", "telefone celular",
    ),
    "address_line1": (
        "address", "street", "street address", "address line 1", "address 1", "address1", "street 1",
        "strasse", "str", "anschrift", "adresse", "strasse und hausnummer", "strasse hausnummer", "rue",
        "adresse postale", "adresse 1", "direccion", "calle", "domicilio", "direccion 1", "indirizzo", "via",
        "adres", "straat", "straatnaam", "adresregel 1", "endereco", "morada", "rua", "logradouro",
    ),
    "house_number": (
        "house number", "house no", "hausnummer", "hausnr", "haus nr", "nr", "numero", "n", "no",
        "huisnummer", "huisnr", "numero civico", "civico", "numero de rue", "num",
    ),
    "address_line2": (
        "address line 2", "address 2", "address2", "street 2", "adresszusatz", "zusatz", "complement",
        "complement d adresse", "adresse 2", "complemento", "direccion 2", "adresregel 2", "suite", "c o",
    ),
    "city": (
        "city", "town", "ort", "stadt", "wohnort", "ville", "commune", "localite", "ciudad", "localidad",
        "poblacion", "municipio", "citta", "comune", "localita", "plaats", "woonplaats", "stad", "cidade",
        "localidade", "concelho", "town city", "city town",
    ),
    "region": (
        "state", "region", "province", "county", "state province", "state region", "bundesland", "kanton",
        "departement", "provincia", "comunidad autonoma", "regione", "provincie", "estado", "distrito",
        "prefecture", "state or province",
    ),
    "postal_code": (
        "postal code", "postcode", "zip", "zip code", "zipcode", "post code", "plz", "postleitzahl",
        "code postal", "cp", "codigo postal", "cap", "codice postale", "cep", "postal", "zip postal code",
        "postnummer",
    ),
    "country": (
        "country", "country code", "country region", "land", "landcode", "pays", "pais", "paese", "nazione",
        "nation", "staat", "country name", "countrycode",
    ),
    "date_of_birth": (
        "date of birth", "birthdate", "birthday", "dob", "birth date", "geburtsdatum", "geburtstag",
        "geb datum", "date de naissance", "naissance", "fecha de nacimiento", "nacimiento",
        "data di nascita", "geboortedatum", "data de nascimento", "data nascimento",
    ),
    "created_at": (
        "created", "created at", "create date", "created date", "creation date", "date created",
        "created on", "created time", "erstellt", "erstellt am", "angelegt", "angelegt am", "anlagedatum",
        "erstellungsdatum", "registriert", "registriert am", "registrierungsdatum", "kunde seit",
        "date de creation", "cree le", "date d inscription", "inscription", "date inscription",
        "fecha de creacion", "fecha alta", "alta", "fecha de alta", "fecha de registro", "data di creazione",
        "data creazione", "data registrazione", "aangemaakt", "aangemaakt op", "datum aangemaakt",
        "data de criacao", "data criacao", "data de registo", "signup date", "registration date",
        "customer since", "member since", "date added", "createddate", "registered", "registered at",
        "registered on", "date registered", "signed up", "sign up date", "joined", "join date",
        "date joined", "erfasst am", "erfassungsdatum", "eintrittsdatum", "insert date", "entry date",
    ),
    "updated_at": (
        "updated", "updated at", "last modified", "last modified date", "modified", "modified on",
        "modified time", "date modified", "update time", "last update", "last updated", "updated date",
        "geandert", "geandert am", "aktualisiert", "aktualisiert am", "letzte anderung", "anderungsdatum",
        "date de modification", "modifie le", "mis a jour", "derniere modification", "fecha de modificacion",
        "ultima modificacion", "fecha actualizacion", "data di modifica", "ultima modifica", "gewijzigd",
        "laatst gewijzigd", "gewijzigd op", "data de modificacao", "atualizado", "ultima atualizacao",
        "lastmodifieddate", "changed", "changed at", "change date", "last change", "last changed", "edited",
    ),
    "salutation": (
        "salutation", "title", "anrede", "civilite", "titre", "tratamiento", "saludo", "titolo", "aanhef",
        "tratamento", "gender", "geschlecht", "sexe", "genero", "sesso", "geslacht",
    ),
}
# fmt: on
#: Words that only say which of several addresses or phones a column holds.
# fmt: off
QUALIFIERS = frozenset({
    "billing", "business", "contact", "customer", "default", "delivery", "home", "invoice", "kunden",
    "liefer", "mailing", "main", "office", "personal", "persoonlijk", "primary", "principal", "principale",
    "privat", "private", "rechnungs", "shipping", "work",
})
# fmt: on


def fold(text: str) -> str:
    """`Straße/Hausnr.` -> `strasse hausnr`; `FirstName` -> `first name`; ä and ae alike."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("ae", "a").replace("oe", "o").replace("ue", "u")  # GEAENDERT = geändert
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@lru_cache(maxsize=1)
def _folded() -> dict[str, tuple[str, ...]]:
    return {field: tuple(fold(s) for s in names) for field, names in SYNONYMS.items()}


def _strip_qualifiers(words: list[str]) -> list[str]:
    kept = [w for w in words if w not in QUALIFIERS]
    return kept or words


SEGMENT_SPLIT = re.compile(r"\.|\s+-\s+|/|:|>|\|")


@lru_cache(maxsize=4096)
def header_scores(header: str) -> dict[str, float]:
    """How well `header` names each field: 1.0 exactly, less for contained words, compounds, typos.

    Headers made of parts (`properties.address.city`, `Person - Email - Work`, `Address 1: City`)
    are also judged part by part; the last part that is not a mere qualifier counts most.
    """
    scores = _scores(header)
    parts = [p for p in SEGMENT_SPLIT.split(header) if p.strip() and fold(p) not in QUALIFIERS]
    if len(parts) > 1:
        for i, part in enumerate(parts):
            weight = 0.95 if i == len(parts) - 1 else 0.8
            for field, score in _scores(part).items():
                scores[field] = max(scores.get(field, 0.0), round(score * weight, 3))
    return scores


def _scores(header: str) -> dict[str, float]:
    folded = fold(header)
    words = folded.split()
    core = " ".join(_strip_qualifiers(words))
    compact = folded.replace(" ", "")
    scores: dict[str, float] = {}
    for field, names in _folded().items():
        best = 0.0
        for name in names:
            if name in (folded, core) or name.replace(" ", "") in (compact, core.replace(" ", "")):
                best = 1.0
                break
            if len(name) >= 3 and re.search(rf"(^| ){re.escape(name)}( |$)", folded):
                best = max(best, 0.6 + 0.3 * len(name) / max(len(folded), 1))
            elif len(name) >= 3 and " " not in name and len(words) == 1 and compact.endswith(name):
                best = max(best, 0.6)  # German compounds: Rechnungsort, Liefer-PLZ
            elif len(name) >= 5 and fuzz.ratio(name, core) >= 80:
                best = max(best, 0.65)
        if best:
            scores[field] = round(best, 3)
    return scores
