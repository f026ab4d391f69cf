"""The values a search is chosen by, as every front end sends them: the filters and the ranking knobs, validated
where they come in (pydantic, which Gradio already brings: its errors name the field and the kind of value it
takes), and what an invalid input is told, in the reader's language. The shop's protocol (storefront/protocol.py)
is made of these, and the CLI checks its flags with them."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model, model_validator
from pydantic_core import ErrorDetails

from catalog.errors import UserError
from search.ranking import KNOBS, Filters

MAX_NAME = 300  # a product id, a brand, a file's name
MAX_CHOICES = 500  # brands (or categories, colours) chosen at once
Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Names = Annotated[list[Name], Field(max_length=MAX_CHOICES)]
Price = Annotated[float, Field(ge=0)]


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

def validated(model: type[BaseModel], asked: Any) -> Any:
    """`asked` as a `model`; `InvalidInput` names the first field that is wrong and what it takes."""
    if not isinstance(asked, dict):
        raise InvalidInput("request", "takes_object")
    try:
        return model.model_validate(asked)
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
        bound = context.get(limit)
        return cls(where, takes, int(bound) if isinstance(bound, float) and bound.is_integer() else bound)


def _is_union_arm(part: object) -> bool:
    """pydantic names the arm of a union it tried (`constrained-str`, `Upload`, `function-before[...]`) in the
    location: not a field of the caller's."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part.startswith("constrained"))
