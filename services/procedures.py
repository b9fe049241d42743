"""The procedures Baomi runs: their names, business-key prefixes and who may start them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    process_id: str
    key_prefix: str
    name_zh: str
    name_en: str
    articles: tuple[str, ...]
    # Roles whose holders may start the procedure; every signed-in employee holds "employee".
    starters: tuple[str, ...] = ("employee",)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


PROCEDURES = {
    p.process_id: p
    for p in [
        Procedure("carry_out", "CO", "涉密笔记本和介质携带外出", "Carry-out of classified laptops and media",
                  ("MED.3", "MED.4")),
    ]
}
