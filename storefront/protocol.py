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
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import ErrorDetails

from catalog.errors import UserError
from search.images import MAX_BYTES, Photo, PhotoBytes
from search.ranking import KNOBS, Filters
from storefront.text import language

MAX_TEXT = 1_000  # characters of a query's words: a sentence, not a document
MAX_NAME = 300  # a product id, a brand, a file's name
MAX_CHOICES = 500  # brands (or categories, colours) chosen at once
MAX_ADDRESS = MAX_BYTES * 4 // 3 + 1_000  # a data: URL of the largest photo accepted, base64 and its header
MAX_VIEWED = 12  # recent views a browser sends (it keeps no more)
MAX_RESULTS = 50
MAX_PER_ITEM = 10

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Names = Annotated[list[Name], Field(max_length=MAX_CHOICES)]
Share = Annotated[float, Field(ge=0, le=1)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Price = Annotated[float, Field(ge=0)]
# Any value a client sends as the language is read as one: an unknown one, or one of another type, is English
Lang = Annotated[str, BeforeValidator(lambda value: language(value) if isinstance(value, str) else "en")]


class Request(BaseModel):
    """What every request has: the reader's language. Fields a request does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False, arbitrary_types_allowed=True)
    lang: Lang = "en"


class FilterChoice(BaseModel):
    """The filters as a client sends them; a price of 0 or none is no limit."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)
    brands: Names = []
    categories: Names = []
    colours: Names = []
    min_price: Price | None = None
    max_price: Price | None = None
    in_stock: bool = False
    known_only: bool = False  # an unknown brand, category or colour is a problem, not an empty answer (agents)

    @model_validator(mode="after")
    def _prices_in_order(self) -> FilterChoice:
        if self.min_price and self.max_price and self.min_price > self.max_price:
            raise ValueError("price_order")
        return self

    def filters(self) -> Filters:
        return Filters.of(self.brands, self.categories, self.min_price, self.max_price, self.in_stock, self.colours)


# A data: URL or an http(s) address; or, from an adapter only (never a client's JSON, so no client can name a file
# of the server's), an uploaded file's bytes or a photo the Tuning page already read and holds
PhotoSource = Annotated[str, StringConstraints(max_length=MAX_ADDRESS)] | PhotoBytes | Photo


# The ranking knobs a caller may set, one field a knob of `search.ranking.KNOBS` at its range; each left out (None)
# is the saved setting
RankingChoice = create_model(
    "RankingChoice", __config__=ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False),
    **{knob.name: (Annotated[int if knob.whole else float, Field(ge=knob.least, le=knob.most)] | None, None)
       for knob in KNOBS})  # type: ignore[call-overload]


def ranking_choice(knobs: dict[str, object]) -> dict[str, float]:
    """The knobs a caller gave (an admin's save), checked as a request's are; those not given are left out."""
    try:
        return RankingChoice.model_validate(knobs).model_dump(exclude_none=True)
    except ValidationError as error:
        raise InvalidInput.of(error.errors()[0]) from None


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
    ranking: RankingChoice = RankingChoice()  # type: ignore[valid-type]  # a model made from KNOBS

    def knobs(self) -> dict[str, float]:
        """The ranking knobs this request sets, by name."""
        return self.ranking.model_dump(exclude_none=True)  # type: ignore[attr-defined]


class ItemsRequest(Request):
    """Every product in a photo, `per_item` matches each."""

    kind: Literal["items"] = "items"
    photo: PhotoSource | None = None
    name: Name = "photo"
    per_item: Annotated[int, Field(ge=1, le=MAX_PER_ITEM)] | None = None
    filters: FilterChoice = FilterChoice()


class DetailsRequest(Request):
    kind: Literal["details"] = "details"
    id: Name


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


ShopRequest = (SearchRequest | ItemsRequest | DetailsRequest | HistoryRequest | AddressRequest | OpeningRequest |
               FacetsRequest)


def parse(kind: type[Request], asked: Any) -> Request:
    """`asked` (a client's JSON object, or an adapter's dict) as a request of `kind`; `InvalidInput` names the first
    field that is wrong and what it takes."""
    if not isinstance(asked, dict):
        raise InvalidInput("request", "takes_object")
    try:
        return kind.model_validate(asked)
    except ValidationError as error:
        raise InvalidInput.of(error.errors()[0]) from None


# What each of pydantic's error types tells the caller: the problem `takes_<kind>` (catalog/problems.py) and the
# limit it names, from pydantic's context
KINDS = {"string_type": ("takes_text", ""), "string_too_long": ("takes_shorter", "max_length"),
         "too_long": ("takes_fewer", "max_length"), "int_type": ("takes_whole", ""), "int_parsing": ("takes_whole", ""),
         "int_from_float": ("takes_whole", ""), "float_type": ("takes_number", ""),
         "float_parsing": ("takes_number", ""), "finite_number": ("takes_finite", ""),
         "greater_than_equal": ("takes_at_least", "ge"), "less_than_equal": ("takes_at_most", "le"),
         "bool_type": ("takes_yes_no", ""), "bool_parsing": ("takes_yes_no", ""), "list_type": ("takes_list", ""),
         "tuple_type": ("takes_list", ""), "too_short": ("takes_more", "min_length"), "missing": ("takes_given", ""),
         "model_type": ("takes_object", ""), "model_attributes_type": ("takes_object", ""),
         "dict_type": ("takes_object", ""), "is_instance_of": ("takes_text", "")}


class InvalidInput(UserError, ValueError):
    """An input that is not of the kind it takes: names the input and what it takes, in the reader's language."""

    def __init__(self, field: str, takes: str, limit: object = None) -> None:
        super().__init__("invalid_input", field=field, what=UserError(takes, limit=limit))

    @classmethod
    def of(cls, error: ErrorDetails) -> UserError:
        context = error.get("ctx", {})
        if error["type"] == "value_error" and str(context.get("error")) == "price_order":
            prices = error["input"] if isinstance(error["input"], dict) else {}
            return UserError("price_order", low=prices.get("min_price"), high=prices.get("max_price"))
        where = ".".join(str(part) for part in error["loc"] if not _is_union_arm(part)) or "request"
        takes, limit = KINDS.get(error["type"], ("takes_valid", ""))
        return cls(where, takes, context.get(limit))


def _is_union_arm(part: object) -> bool:
    """pydantic names the arm of a union it tried (`constrained-str`, `Upload`, `function-before[...]`) in the
    location: not a field of the caller's."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part.startswith("constrained"))

