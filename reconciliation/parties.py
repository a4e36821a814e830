"""Denied-party name matching (contract sections 7 and 9): pure, over plain names and entries.

A name is read as its *distinctive words*: accents removed by Unicode decomposition and any
other script transliterated to Latin (``anyascii``), lower case, ``&`` read as "and",
dotted abbreviations joined (``L.L.C.`` is ``LLC``, ``S.A.`` is ``SA``), every other
character that is not a letter or digit a space; then the legal forms (``LEGAL_FORMS``), the
generic words of trade (``GENERIC_WORDS``), filler words (``FILLERS``) and single letters
(initials) are dropped, and the words sorted (word order does not matter). A name whose words
are all generic has no distinctive word and matches nothing: "General Trading Company" is no
party. Spelling variants ("Centre"/"Center", "Dmitri"/"Dmitry") are left to the similarity.

A name matches an entry when its distinctive words equal those of the entry's name or of one
of its aliases, or their similarity reaches the threshold: the better of ``rapidfuzz``'s Indel
ratio (0-100) of the sorted words, and of the words aligned one to one (each word with its
closest in the other name, weighted by length, the weaker of the two directions, so an extra
or missing word lowers it) (``THRESHOLD`` by default,
per zone ``parties_threshold``). Two names of one word each must be equal to match: a single
short word is too weak for a similarity to mean the same party.

Candidate blocking keeps the work from growing as names x entries: each entry's distinctive
words and their first four letters index it, and a name is compared only with the entries
that share such a key with it: its rarest key always, then the next rarest while the
candidates stay within ``_BUDGET``. A listed name shares its distinctive words with the names
it matches, and a misspelled word leads nowhere, so the rarest key that leads somewhere is a
word the two names share. A name misspelled in the first four letters of every one of its
words is therefore not found, nor one whose only words in common with the entry are each
shared by hundreds of other entries.
"""

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from anyascii import anyascii
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from reconciliation.rules import _finding, item_names

THRESHOLD = 88  # documented default: one letter in ten may differ ("Centre" / "Center")
MAX_NAME = 500  # characters of a name screened: past that is no company name but noise
# Legal forms, read after dotted abbreviations are joined (``L.L.C.`` -> ``llc``).
_LEGAL_FORMS = (
    "ltd limited llc llp lp plc inc incorporated corp co cie gmbh mbh ag kg ohg sa sas sarl sarlu srl spa sl "
    "bv nv ab as asa oy oyj aps fze fzco fzc fz dmcc jsc ojsc cjsc pjsc oao zao ooo pao tov pte pvt private "
    "bhd sdn tbk pt cv kft zrt sro spol sp zoo ltda eireli epp est wll saog saoc ksc qsc bsc "
    "ao pty sal slu eurl doo sae spc sti limitada ltee kk ug ev se jv rl oo"
)
LEGAL_FORMS = frozenset(_LEGAL_FORMS.split())
# Legal forms written out in words, longest first: their words are no part of the name there
# ("Limited Liability Company" is LLC; "public" or "stock" elsewhere stay).
_LEGAL_PHRASES = tuple(
    tuple(phrase.split())
    for phrase in (
        "public joint stock company", "closed joint stock company", "open joint stock company",
        "limited liability company", "limited liability partnership", "joint stock company",
        "public limited company", "private limited company", "limited liability", "joint stock",
        "kabushiki kaisha", "societe anonyme", "sociedad anonima",
    )
)  # fmt: skip
# Generic words of trade (the contract's list, with their plurals and usual companions).
_GENERIC_WORDS = (
    "trading trade traders general international intl group groups industries industry industrial services service "
    "logistics logistic company companies corporation holding holdings shipping enterprise enterprises commercial "
    "global worldwide import export imports exports"
)
GENERIC_WORDS = frozenset(_GENERIC_WORDS.split())
FILLERS = frozenset({"and", "the", "of", "for", "und", "et"})
_BUDGET = 300  # candidate names and aliases compared per name, at most (beyond its rarest key's)
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}(?![a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@lru_cache(maxsize=200_000)
def words(name: str) -> tuple[str, ...]:
    """The distinctive words of a name, sorted: what matching compares."""
    if not isinstance(name, str):
        return ()
    text = unicodedata.normalize("NFKD", _CONTROL.sub(" ", name[:MAX_NAME]))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = anyascii(text).lower().replace("&", " and ")
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    found = _without_phrases([w for w in _NOT_WORD.split(text) if w])
    found = [w for w in found if len(w) > 1]
    return tuple(sorted(w for w in found if w not in LEGAL_FORMS and w not in GENERIC_WORDS and w not in FILLERS))


def _without_phrases(found: list[str]) -> list[str]:
    """``found`` without the legal forms written out in words (``_LEGAL_PHRASES``)."""
    kept, at = [], 0
    while at < len(found):
        phrase = next((p for p in _LEGAL_PHRASES if tuple(found[at : at + len(p)]) == p), None)
        if phrase is None:
            kept.append(found[at])
            at += 1
        else:
            at += len(phrase)
    return kept


def normalise(name: str) -> str:
    """A name as matching reads it: its distinctive words, sorted, joined by spaces."""
    return " ".join(words(name))


@dataclass(frozen=True)
class Index:
    """A parties list ready to screen against: every name and alias as distinctive words."""

    forms: list[tuple[int, str, tuple[str, ...]]]  # (entry position, name or alias as written, its words)
    keys: dict[str, list[int]]  # block key -> positions in ``forms``
    texts: np.ndarray  # each form's words joined by spaces (objects)
    vocabulary: np.ndarray  # every word of every form (objects)
    word_ids: np.ndarray  # per form its words (positions in ``vocabulary``), padded with -1
    word_lengths: np.ndarray  # per vocabulary word its length


def index(entries: pd.DataFrame) -> Index:
    """Index the entries (columns ``name`` and ``aliases``, ``;``-separated) by block keys."""
    forms: list[tuple[int, str, tuple[str, ...]]] = []
    keys: dict[str, list[int]] = defaultdict(list)
    aliases = entries["aliases"] if "aliases" in entries else pd.Series(None, index=entries.index)
    for position, (name, also) in enumerate(zip(entries["name"], aliases, strict=True)):
        written = [name, *(a.strip() for a in also.split(";") if a.strip())] if isinstance(also, str) else [name]
        seen = set()
        for form in written:
            key = words(form)
            if not key or key in seen:
                continue
            seen.add(key)
            for block in _blocks(key):
                keys[block].append(len(forms))
            forms.append((position, form, key))
    vocabulary: dict[str, int] = {}
    width = max((len(key) for _, _, key in forms), default=1)
    word_ids = np.full((len(forms), width), -1, dtype=np.int32)
    for number, (_, _, key) in enumerate(forms):
        word_ids[number, : len(key)] = [vocabulary.setdefault(w, len(vocabulary)) for w in key]
    lengths = np.array([len(w) for w in vocabulary], dtype=np.float64)
    texts = np.array([" ".join(k) for _, _, k in forms] or [""], dtype=object)[: len(forms)]
    words_of = np.array(list(vocabulary) or [""], dtype=object)[: len(vocabulary)]
    return Index(forms, dict(keys), texts, words_of, word_ids, lengths)


def screen(names: pd.Series, entries: pd.DataFrame, *, threshold: float = THRESHOLD, built: Index | None = None
           ) -> pd.DataFrame:  # fmt: skip
    """Every (name, entry) pair that matches, best form of the entry only: ``index`` (the name's
    label), ``entry`` (the entry's position in ``entries``), ``matched`` (the entry's name or
    alias that matched, as written), ``score`` (0-100), ``normalised`` (the name's words) and
    ``matched_words`` (the words of the name that the matched form holds too)."""
    built = built or index(entries)
    rows = []
    by_words: dict[tuple[str, ...], list] = defaultdict(list)
    for label, name in names.items():
        key = words(name) if isinstance(name, str) else ()
        if key:
            by_words[key].append(label)
    for key, labels in by_words.items():
        for entry, form, score in _matches(key, built, threshold):
            common = " ".join(w for w in key if w in set(built.forms[form][2]))
            for label in labels:
                rows.append((label, entry, built.forms[form][1], score, " ".join(key), common))
    return pd.DataFrame(rows, columns=["index", "entry", "matched", "score", "normalised", "matched_words"])


def _blocks(key: tuple[str, ...]) -> set[str]:
    """A name's block keys: its words, and the first four letters of the longer ones."""
    return set(key) | {w[:4] + "*" for w in key if len(w) > 4}


def _matches(key: tuple[str, ...], built: Index, threshold: float) -> list[tuple[int, int, int]]:
    """(entry, form, score) of the entries whose best form matches ``key``: the score is the
    better of the Indel ratio of the sorted words and of the words aligned one to one (each word
    of either name with its closest in the other, weighted by length, the weaker direction
    kept, so that a transliteration changing a first letter, "Khossein" / "Hossein", does not
    reorder the words). All candidates of a name are scored at once."""
    postings = sorted((p for p in (built.keys.get(b) for b in _blocks(key)) if p), key=len)
    if not postings:
        return []
    found = set(postings[0])
    for posting in postings[1:]:  # the rarest keys first, within the budget
        if len(found) + len(posting) > _BUDGET:
            break
        found.update(posting)
    candidates = np.fromiter(found, dtype=np.int64, count=len(found))
    text = " ".join(key)
    texts = built.texts[candidates]
    ratio = cdist([text], texts.tolist(), scorer=fuzz.ratio)[0]
    ids = built.word_ids[candidates]
    real = ids >= 0
    vocabulary, positions = np.unique(ids[real], return_inverse=True)
    pairs = cdist(list(key), built.vocabulary[vocabulary].tolist(), scorer=fuzz.ratio)  # name words x words
    columns = np.zeros(ids.shape, dtype=np.int64)
    columns[real] = positions
    scores = np.where(real[None, :, :], pairs[:, columns], 0.0)  # name words x candidates x their words
    mine = np.array([len(w) for w in key], dtype=np.float64)
    ours = (scores.max(axis=2) * mine[:, None]).sum(axis=0) / mine.sum()
    weights = np.where(real, built.word_lengths[np.where(real, ids, 0)], 0.0)
    theirs = (scores.max(axis=0) * weights).sum(axis=1) / weights.sum(axis=1)
    score = np.maximum(ratio, np.minimum(ours, theirs))
    equal = texts == text
    single = (len(key) == 1) & (real.sum(axis=1) == 1)
    score = np.where(equal, 100.0, np.where(single, 0.0, score))  # one word each: only equality counts
    best: dict[int, tuple[int, int]] = {}
    for number, value in zip(candidates[score >= threshold], score[score >= threshold], strict=True):
        entry = built.forms[number][0]
        if entry not in best or value > best[entry][1]:
            best[entry] = (int(number), round(float(value)))
    return [(entry, number, value) for entry, (number, value) in best.items()]


# The parties list as the engine reads it (``list_name``: the list the entry comes from).
PARTY_COLUMNS = ["entry_id", "name", "aliases", "kind", "countries", "list_name", "reference", "listed_on"]
KIND = "DENIED_PARTY"
_REMOVAL = ["operator_id", "ref"]
NO_REMOVALS = pd.DataFrame({"operator_id": pd.Series(dtype="int64"), "ref": pd.Series(dtype="object")})
_RECORD = ["operator_id", "zone_id", "lot_ref", "customs_ref", "record", "at", "field", "name", "licence_ref"]


def entry_hashes(entries: pd.DataFrame) -> pd.Series:
    """What each entry says, as a short hash: a dismissal holds until it changes (the one
    definition the loader stores and the engine falls back on)."""
    parts = [entries[c].astype("object").where(entries[c].notna(), "").astype(str) for c in PARTY_COLUMNS]
    joined = parts[0].str.cat(parts[1:], sep="\x1f")
    return joined.map(lambda text: hashlib.sha256(text.encode()).hexdigest()[:32])


def denied_parties(moves: pd.DataFrame, lotted: pd.DataFrame, inputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DENIED_PARTY findings (contract section 9): one per operator, name (its distinctive
    words) and list entry, on the lot and declaration of the name's latest record in force,
    with every record in the evidence (``inputs``: the engine's ``Inputs``: parties,
    licences, operators, parties_threshold); and the removals to a denied party (``removals_to``)."""
    entries = inputs.parties.reset_index(drop=True)
    if entries.empty:
        return pd.DataFrame(), NO_REMOVALS
    if "content_hash" not in entries.columns:
        entries = entries.assign(content_hash=entry_hashes(entries))
    records = _named_records(moves, lotted, inputs)
    if records.empty:
        return pd.DataFrame(), NO_REMOVALS
    names = pd.Series(records["name"].unique())
    hits = screen(names, entries, threshold=inputs.parties_threshold, built=_index_of(entries))
    if hits.empty:
        return pd.DataFrame(), NO_REMOVALS
    hits = hits.assign(name=names.loc[hits["index"]].to_numpy()).drop(columns="index")
    found = records.merge(hits, on="name").sort_values(["at", "record"], kind="stable", na_position="first")
    groups = found.groupby(["operator_id", "normalised", "entry"], sort=False)
    latest = groups.tail(1).set_index(["operator_id", "normalised", "entry"])
    summary = groups.agg(
        names=("name", _joined), fields=("field", _joined), records=("record", _joined),
        score=("score", "max"), licences=("licence_ref", _joined),
    ).join(latest[["zone_id", "lot_ref", "customs_ref", "record", "name", "matched", "matched_words"]])  # fmt: skip
    rows = summary.reset_index()
    entry = entries.loc[rows["entry"]].reset_index(drop=True)
    rows = rows.assign(
        entry_id=entry["entry_id"].to_numpy(), entry_name=entry["name"].to_numpy(),
        content_hash=entry["content_hash"].to_numpy(),
    )  # fmt: skip
    out = _finding(
        rows,
        KIND,
        extra=rows["normalised"] + "|" + rows["entry_id"].astype(str) + "|" + rows["content_hash"],
        expected=rows["entry_name"],
        found=rows["name"],
        destination=None,
        expected_from="parties list entry " + rows["entry_id"].astype(str),
        found_from=rows["record"],
        detail="a party name in the records (found) matches an entry of the denied-party list in force (expected)",
    )
    return out.assign(facts=_facts(rows, entry)), removals_to(set(hits["name"]), moves, lotted, inputs.licences)


def removals_to(names: set[str], moves: pd.DataFrame, lotted: pd.DataFrame, licences: pd.DataFrame) -> pd.DataFrame:
    """The removals in force that leave to one of ``names`` (contract section 9: their consignee
    or counterparty, or the end user of the licence they leave under), as ``operator_id`` and
    ``ref``: a customs removal's declaration, an operator removal's movement and customs refs."""
    listed = list(names)
    own = moves[(moves["movement_type"] == "REMOVAL") & moves["counterparty"].isin(listed)]
    users = _newest_end_users(licences)
    cited = users.loc[users["end_user"].isin(listed), "licence_ref"].tolist()
    items = lotted[
        (lotted["direction"] == "REMOVAL") & (lotted["consignee"].isin(listed) | lotted["licence_ref"].isin(cited))
    ]
    refs = [own[["operator_id", "movement_ref"]], own[["operator_id", "customs_ref"]],
            items[["operator_id", "declaration_ref"]]]  # fmt: skip
    found = pd.concat([r.set_axis(_REMOVAL, axis=1).astype({"ref": "object"}) for r in refs], ignore_index=True)
    return found.dropna().astype({"operator_id": "int64"}).drop_duplicates(ignore_index=True)


def to_denied(findings: pd.DataFrame, removals: pd.DataFrame) -> pd.Series:
    """Whether each finding is on a removal to a denied party (``removals``: ``removals_to``),
    named by its declaration or its record."""
    if removals.empty:
        return pd.Series(False, index=findings.index)
    keys = pd.MultiIndex.from_frame(removals)
    operators = findings["operator_id"].astype("int64")
    on = [
        pd.MultiIndex.from_arrays([operators, findings[c].astype("object")]).isin(keys)
        for c in ("customs_ref", "records")
    ]
    return pd.Series(on[0] | on[1], index=findings.index)


def _named_records(moves: pd.DataFrame, lotted: pd.DataFrame, inputs) -> pd.DataFrame:
    """Every screened name of the records in force (section 7), one row per record and field."""
    frames = []
    own = moves[moves["counterparty"].notna() & (moves["counterparty"] != "")]
    frames.append(own.assign(record="operator's records " + own["movement_ref"], at=own["occurred_at"],
                             field="counterparty", name=own["counterparty"], licence_ref=None))  # fmt: skip
    items = lotted.assign(
        customs_ref=lotted["declaration_ref"], at=lotted["lodged_at"],
        record=item_names(lotted),
    )  # fmt: skip
    for field in ("consignor", "consignee"):
        named = items[items[field].notna() & (items[field] != "")]
        frames.append(named.assign(field=field, name=named[field], licence_ref=None))
    frames.append(_end_users(items, inputs.licences))
    every = pd.concat(
        [
            moves.assign(record="operator's records " + moves["movement_ref"], at=moves["occurred_at"]),
            items,
        ],
        ignore_index=True,
    )
    frames.append(_operator_names(every.assign(field=None, name=None, licence_ref=None)[_RECORD], inputs.operators))
    kept = [f[_RECORD] for f in frames if len(f)]
    if not kept:
        return pd.DataFrame(columns=_RECORD)
    out = pd.concat(kept, ignore_index=True)
    return out.assign(at=pd.to_datetime(out["at"], utc=True))


def _end_users(items: pd.DataFrame, licences: pd.DataFrame) -> pd.DataFrame:
    """Each licence's end user (of its version in force), on the latest customs removal in
    force that cites the licence."""
    newest = _newest_end_users(licences)
    if newest.empty:
        return pd.DataFrame(columns=_RECORD)
    removals = items[(items["direction"] == "REMOVAL") & items["licence_ref"].notna()]
    latest = removals.sort_values(["at", "record"], kind="stable").drop_duplicates("licence_ref", keep="last")
    cited = latest.merge(newest[["licence_ref", "end_user"]], on="licence_ref")
    record = "licence " + cited["licence_ref"] + " (end user), cited by " + cited["record"]
    return cited.assign(field="end_user", name=cited["end_user"], record=record)


def _newest_end_users(licences: pd.DataFrame) -> pd.DataFrame:
    """Each licence's end user, of its version in force (the highest), where it names one."""
    if licences.empty or "end_user" not in licences.columns:
        return pd.DataFrame(columns=["licence_ref", "end_user"])
    newest = licences.sort_values("version").drop_duplicates("licence_ref", keep="last")
    return newest.loc[newest["end_user"].notna() & (newest["end_user"].astype(str) != ""), ["licence_ref", "end_user"]]


def _operator_names(records: pd.DataFrame, operators: pd.DataFrame) -> pd.DataFrame:
    """The operators' own names, on each operator's latest record of the run."""
    if "name" not in operators.columns or records.empty:
        return pd.DataFrame(columns=_RECORD)
    latest = records.sort_values(["at", "record"], kind="stable").drop_duplicates("operator_id", keep="last")
    named = latest.drop(columns=["name", "field", "record", "licence_ref"]).merge(
        operators[["operator_id", "code", "name"]], on="operator_id"
    )
    named = named[named["name"].notna()]
    return named.assign(field="operator", licence_ref=None, record="operator " + named["code"] + " (its own name)")


def _facts(rows: pd.DataFrame, entry: pd.DataFrame) -> list[dict]:
    """Per finding what the page shows: the names as written, the entry, the score, what matched."""
    return [
        {
            "party": {
                "names": row["names"], "fields": row["fields"], "normalised": row["normalised"],
                "score": int(row["score"]), "matched": row["matched"], "matched_words": row["matched_words"],
                "licence_ref": row["licences"] or None,
            },
            "entry": {
                "entry_id": str(e["entry_id"]), "name": e["name"], "aliases": _text(e.get("aliases")),
                "kind": _text(e.get("kind")), "countries": _text(e.get("countries")),
                "list": _text(e.get("list_name")), "reference": _text(e.get("reference")),
                "listed_on": _text(e.get("listed_on")), "content_hash": e["content_hash"],
            },
            "named_in": row["records"],
        }
        for row, e in zip(rows.to_dict("records"), entry.to_dict("records"), strict=True)
    ]  # fmt: skip


def _joined(values: pd.Series) -> str:
    """Distinct values in first-seen order, comma-separated."""
    return ", ".join(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return str(value)[:10] if hasattr(value, "isoformat") else str(value)


_INDEXES: dict[str, Index] = {}


def _index_of(entries: pd.DataFrame) -> Index:
    """The index of a list, built once per list content (each zone's part of a run reuses it)."""
    key = hashlib.sha256("\x1e".join(entries["content_hash"]).encode()).hexdigest()
    if key not in _INDEXES:
        _INDEXES.clear()  # one list in force at a time
        _INDEXES[key] = index(entries)
    return _INDEXES[key]
