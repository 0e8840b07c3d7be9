"""The domain's pure models: the IPRs and complaints to file, the entries carrying them, the portal's answers.

These import nothing from Playwright, so batches, the ledger and the flows' inputs are
tested without a browser. Field names follow the batch format in ../shared/CONTRACT.md.
An `Entry` is one unit of work as the batch reader makes it and the ledger adds it; it
lives here, not with the reader, so the ledger needs no YAML or CSV.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IprType = Literal["trademark", "copyright", "patent", "other"]
Platform = Literal["taobao", "tmall", "tmall_hk", "1688", "alibaba", "aliexpress"]
ComplaintType = Literal["product_listing", "store_front"]
PatentType = Literal["invention", "utility_model", "design"]
MarkKind = Literal["word", "figurative", "combination"]
WorkType = Literal["software", "literary", "art", "photo", "music", "film", "other"]
Kind = Literal["ipr", "complaint"]
CounterNoticePolicy = Literal["ask", "reject", "accept"]

CHINA_ONLY: frozenset[str] = frozenset({"taobao", "tmall", "1688"})
MAX_LISTINGS = 300
REASONS_BY_TYPE: dict[str, frozenset[str]] = {
    "trademark": frozenset({"counterfeit", "trademark_misuse", "model_not_exist", "other"}),
    "copyright": frozenset({"image_copy", "content_copy", "software_piracy", "other"}),
    "patent": frozenset({"patent_infringement", "design_copy", "other"}),
    "other": frozenset({"other"}),
}
PLACES = frozenset({"EU", "WIPO"})  # plus any ISO 3166 alpha-2 code
TYPE_FIELDS: dict[str, tuple[str, ...]] = {  # what each IPR type cannot do without
    "trademark": ("classes", "expiration_date"),
    "patent": ("patent_type", "expiration_date"),
    "copyright": ("work_type",),
    "other": ("valid_from", "valid_to", "content"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Ipr(_Model):
    """One intellectual-property right to submit: the common fields and each type's own."""

    type: IprType
    name: Annotated[str, Field(min_length=1, max_length=200)]
    registration_number: str = ""
    registration_place: str
    rights_holder: Annotated[str, Field(min_length=1)]
    expiration_date: date | None = None
    documents: tuple[Path, ...] = ()
    classes: tuple[Annotated[int, Field(ge=1, le=45)], ...] = ()
    mark_kind: MarkKind = "word"
    brand_info: str = ""
    patent_type: PatentType | None = None
    registered: bool = True
    work_type: WorkType | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    content: str = ""
    additional_info: str = ""
    power_of_attorney: Path | None = None
    key: str | None = None
    corrects: str | None = None  # the key of a rejected (or failed) IPR entry whose fields and documents this replaces
    edit_reference: str | None = None  # set by the ledger when filing a correction: the portal record to edit

    @field_validator("registration_place")
    @classmethod
    def _place(cls, value: str) -> str:
        code = value.upper()
        if code not in PLACES and not (len(code) == 2 and code.isalpha()):
            raise ValueError("must be an ISO 3166 alpha-2 code, EU or WIPO")
        return code

    @model_validator(mode="after")
    def _type_fields(self) -> Ipr:
        missing = [name for name in TYPE_FIELDS[self.type] if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.type} needs {', '.join(missing)}")
        if self.registered and not self.registration_number:
            raise ValueError("registration_number is required")
        if not self.documents:
            raise ValueError("documents: at least one file (the certificate) is required")
        return self

    @property
    def identity(self) -> str:
        """What makes two IPR entries the same right: type, place and registration number."""
        return f"ipr:{self.type}:{self.registration_place}:{self.registration_number or self.name}"

    @property
    def marker(self) -> str:
        """ippbot's own mark for a right the portal cannot find by number (an unregistered work):
        written into the IPR's additional information, which the portal keeps and shows on its page,
        and looked for there before anything is filed again. Derived from the entry's key."""
        digest = hashlib.sha256((self.key or self.identity).encode("utf-8")).hexdigest()[:12]
        return f"ippbot:{digest}"

    @property
    def additional_info_sent(self) -> str:
        """The additional information as filed: the batch's text, and the marker for an IPR without a number."""
        if self.registration_number:
            return self.additional_info
        return f"{self.additional_info}\n{self.marker}" if self.additional_info else self.marker


class IprOnPortal(_Model):
    """A complaint's IPR as the portal shows it, known once ippbot filed it: its reference, name and number."""

    reference: str
    name: str
    registration_number: str = ""

    @property
    def label(self) -> str:
        """How complaint history names it: ``name (number)``."""
        return f"{self.name} ({self.registration_number})"


class Complaint(_Model):
    """One complaint: listings of one marketplace against one approved IPR.

    `ipr` names the IPR as the batch does: its registration number, or for a right without one
    its name or entry key. `on_portal` is filled in by the run from the ledger (never by a batch),
    so that the form picks the IPR by its reference and the history is read by what it shows.
    """

    platform: Platform
    ipr: Annotated[str, Field(min_length=1, description="the IPR's registration number, name or entry key")]
    type: ComplaintType = "product_listing"
    reason: str
    listings: tuple[str, ...]
    evidence: tuple[Path, ...] = ()
    note: str = ""
    key: str | None = None
    counter_notice: CounterNoticePolicy | None = None  # sync's answer to unanswered counter-notices; None: the setting
    on_portal: IprOnPortal | None = None

    @field_validator("listings")
    @classmethod
    def _listings(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        if not urls:
            raise ValueError("at least one listing URL is required")
        return tuple(u.strip() for u in urls)

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, files: tuple[Path, ...]) -> tuple[Path, ...]:
        if len(files) > 4:
            raise ValueError("at most 4 evidence files")
        return files

    def chunks(self, size: int = MAX_LISTINGS) -> list[Complaint]:
        """This complaint split so that none has more listings than the portal takes."""
        parts = [self.listings[i : i + size] for i in range(0, len(self.listings), size)]
        return [self.model_copy(update={"listings": part}) for part in parts]


class Entry(BaseModel):
    """One unit of work for the ledger: an IPR, or one complaint of at most 300 listings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    kind: Kind
    payload: Ipr | Complaint
    source: str  # "file:entry", where it was read
    depends_on: str | None = None  # a complaint's IPR: its key if in the batch, else its number
    account: str | None = None  # the portal account that files it (a batch's `account:`); None: the enqueue's own

    @model_validator(mode="after")
    def _kind_matches_payload(self) -> Entry:
        if self.kind != ("ipr" if isinstance(self.payload, Ipr) else "complaint"):
            raise ValueError(f"kind {self.kind!r} does not match a {type(self.payload).__name__}")
        return self


class Refusal(_Model):
    """A listing URL the portal refused at its per-URL check, with its reason."""

    url: str
    reason: str


class Filed(_Model):
    """What a submission ended with: the portal's reference, and whether it was already there."""

    reference: str
    existing: bool = False
    refused: tuple[Refusal, ...] = ()


class IprStatus(_Model):
    """One row of IPR management."""

    reference: str
    registration_number: str
    status: str
    reason: str = ""
    name: str = ""
    type: str = ""  # our name for the type ("trademark", ...), where the list shows it
    registration_place: str = ""  # the code ("CN", ...), where the list shows it


class KnownIpr(_Model):
    """An IPR a complaint may rest on, as ippbot knows it without a batch: an IPR entry of the ledger,
    or a record of the portal's IPR management that `ippbot sync` kept (filed by ippbot or by hand).

    `type` and `registration_place` are None where the portal's list did not show them; `expired`
    says the IPR can carry no complaint (its date is past, or the portal says Expired).
    """

    number: str  # the registration number or entry key a complaint names it by
    where: str  # for messages: "the ledger (entry KEY, from FILE)" or "the portal (IPR-000003, Approved)"
    type: IprType | None = None
    registration_place: str | None = None
    expired: bool = False


class ListingStatus(_Model):
    """One listing of a complaint and what became of it.

    `status` is the portal's code (`[options.listing_status]`), `state` the ledger's name for it
    (`[options.listing_state]`: pending, counter_noticed, answered, removed, restored, rejected,
    withdrawn); `changed_on` the portal's date of its last change. A counter-notice has the seller's
    `statement`, its `chance` (1-3) and the complainant's `deadline`; `answer` is the complainant's
    answer the portal shows (accept, reject).
    """

    url: str
    status: str
    note: str = ""
    listing_id: str = ""
    state: str = ""
    changed_on: date | None = None
    statement: str = ""
    chance: int | None = None
    deadline: date | None = None
    answer: str = ""


class Standing(_Model):
    """The account's Good Faith Program figures as the portal shows them (rates in per cent)."""

    takedown_rate: float
    counter_notice_success_rate: float
    qualifies: bool
    listings: int | None = None
    status: str = ""


class ComplaintStatus(_Model):
    """One complaint of the history, with its listings when read."""

    reference: str
    ipr_reference: str
    status: str
    reason: str = ""
    listings: tuple[ListingStatus, ...] = ()
