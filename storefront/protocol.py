"""The shop's protocol: every request a front end may make and every answer it gets, as typed values, validated where
they come in (pydantic, which Gradio already brings: its validation errors name the field and the kind of value it
takes, which is what a caller must be told). Every doorway (the shoppers' page's calls, the Tuning page, the API,
the MCP tools) builds these and hands them to `storefront.doorway.Doorway`; none parses a field itself."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from search.choices import FilterChoice, Name, RankingChoice, validated
from search.images import MAX_BYTES, Photo, PhotoBytes
from storefront.text import language

MAX_TEXT = 1_000  # characters of a query's words: a sentence, not a document
MAX_ADDRESS = MAX_BYTES * 4 // 3 + 1_000  # a data: URL of the largest photo accepted, base64 and its header
MAX_VIEWED = 12  # recent views a browser sends (it keeps no more)
MAX_PER_ITEM = 10

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Fraction = Annotated[float, Field(ge=0, le=1)]
# Any value a client sends as the language is read as one: an unknown one, or one of another type, is English
Lang = Annotated[str, BeforeValidator(language)]


class Request(BaseModel):
    """What every request has: the reader's language. Fields a request does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False, arbitrary_types_allowed=True)
    lang: Lang = "en"
    token: Annotated[str, StringConstraints(max_length=64)] | None = None  # random per browser tab, nothing else


# A data: URL or an http(s) address; or, from an adapter only (never a client's JSON, so no client can name a file
# of the server's), an uploaded file's bytes or a photo the Tuning page already read and holds
PhotoSource = Annotated[str, StringConstraints(max_length=MAX_ADDRESS)] | PhotoBytes | Photo


class SearchRequest(Request):
    """A search by a photo (or the part of it between two corners, as fractions of its sides), words or both, or for
    more like a product."""

    kind: Literal["search"] = "search"
    photo: PhotoSource | None = None
    name: Name = "photo"
    part: tuple[Fraction, Fraction, Fraction, Fraction] | None = None
    text: Text = ""
    more_like: Name | None = None
    filters: FilterChoice = FilterChoice()
    ranking: RankingChoice = RankingChoice()  # a model made from KNOBS

    def knobs(self) -> dict[str, float]:
        """The ranking knobs this request sets, by name."""
        return self.ranking.model_dump(exclude_none=True)


class ItemsRequest(Request):
    """Every product in a photo, `per_item` matches each."""

    kind: Literal["items"] = "items"
    photo: PhotoSource | None = None
    name: Name = "photo"
    per_item: Annotated[int, Field(ge=1, le=MAX_PER_ITEM)] | None = None
    filters: FilterChoice = FilterChoice()


class DetailsRequest(Request):
    """A product's details; `rank`: where it stood in the results it was opened from (1: first), if it was."""

    kind: Literal["details"] = "details"
    id: Name
    rank: Annotated[int, Field(ge=1, le=1_000)] | None = None


class HistoryRequest(Request):
    """A shopper's recent views, kept in their browser and sent with the filters in force."""

    kind: Literal["history"] = "history"
    viewed: Annotated[list[Name], Field(max_length=MAX_VIEWED * 10)] = []
    filters: FilterChoice = FilterChoice()


class AddressRequest(Request):
    """The picture at an image address, loaded for the page to hold."""

    kind: Literal["address"] = "address"
    url: Annotated[str, StringConstraints(max_length=4_000)] = ""


class OpeningRequest(Request):
    kind: Literal["opening"] = "opening"


class FacetsRequest(Request):
    kind: Literal["facets"] = "facets"



def parse(kind: type[Request], asked: Any) -> Request:
    """`asked` (a client's JSON object, or an adapter's dict) as a request of `kind`; `InvalidInput` names the first
    field that is wrong and what it takes."""
    return validated(kind, asked)


