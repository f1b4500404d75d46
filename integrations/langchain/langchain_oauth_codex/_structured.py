"""Output parsers for ``with_structured_output`` that turn a refusal into ``ModelRefusalError``."""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import ModelRefusalError
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import ChatGeneration, Generation

__all__ = ["RefusalAwareJsonParser", "RefusalAwarePydanticParser", "raise_on_refusal"]


def raise_on_refusal(result: list[Generation]) -> None:
    """Raise ``ModelRefusalError`` when the message refused (``additional_kwargs["refusal"]``)."""
    if result and isinstance(result[0], ChatGeneration):
        message = result[0].message
        refusal = message.additional_kwargs.get("refusal")
        if refusal:
            raise ModelRefusalError(
                f"Model refused to produce the requested output: {refusal}", raw_message=message
            )


class RefusalAwareJsonParser(JsonOutputParser):
    """``JsonOutputParser`` (streams partial objects) that raises ``ModelRefusalError`` on a refusal."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        raise_on_refusal(result)
        return super().parse_result(result, partial=partial)


class RefusalAwarePydanticParser(PydanticOutputParser):  # type: ignore[type-arg]
    """``PydanticOutputParser`` (yields only complete, valid objects) that raises on a refusal."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        raise_on_refusal(result)
        return super().parse_result(result, partial=partial)
