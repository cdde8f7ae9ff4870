"""Harness 1, FUSE: answers that need two or three given sources combined (exact value match).

Every item is built so that using only one of the sources gives a plausible wrong value.
"""

from __future__ import annotations

from mapelite.harnesses.base import Harness, Item
from mapelite.harnesses.scoring import exact_number, exact_text, exact_time, question_prompt

_INTRO = "Combine the information in all of the sources below to answer the question."

ITEMS: tuple[Item, ...] = (
    Item(
        id="fuse-01",
        prompt=question_prompt(
            _INTRO,
            "Source 1 (timetable): The 08:15 train from Ashford arrives at Brook at 09:40.\n"
            "Source 2 (service notice): Today every train on the Ashford line runs 25 minutes "
            "late.",
            "At what time does the 08:15 train from Ashford arrive at Brook today?",
            "time as HH:MM, 24-hour clock",
        ),
        reference="Scheduled arrival 09:40 plus a 25-minute delay gives 10:05.\n\nANSWER: 10:05",
        near_miss="09:40 plus 25 minutes is 10:15.\n\nANSWER: 10:15",
        score=exact_time("10:05"),
    ),
    Item(
        id="fuse-02",
        prompt=question_prompt(
            _INTRO,
            "Source A (price list): Notebooks cost $4.00 each. Pens cost $1.50 each.\n"
            "Source B (coupon): 25% off the whole order when the order total is above $20.",
            "What does an order of 5 notebooks and 4 pens cost after the coupon, in dollars?",
            "amount in dollars",
        ),
        reference=(
            "5 notebooks = $20.00 and 4 pens = $6.00, so the total is $26.00. That is above "
            "$20, so 25% off applies: $26.00 × 0.75 = $19.50.\n\nANSWER: 19.50"
        ),
        near_miss="5 × $4.00 + 4 × $1.50 = $26.00.\n\nANSWER: 26.00",
        score=exact_number(19.5, unit="usd"),
    ),
    Item(
        id="fuse-03",
        prompt=question_prompt(
            _INTRO,
            "Source 1 (census): The town of Elm had 12,400 residents in 2020.\n"
            "Source 2 (council report): Elm grew by 1,150 residents between 2020 and 2023.\n"
            "Source 3 (2024 register): In 2024, 300 residents moved away and 420 moved in.",
            "How many residents did Elm have at the end of 2024?",
            "number of residents",
        ),
        reference="12,400 + 1,150 = 13,550; then 13,550 − 300 + 420 = 13,670.\n\nANSWER: 13670",
        near_miss="12,400 + 1,150 = 13,550; then 13,550 + 300 − 420 = 13,430.\n\nANSWER: 13430",
        score=exact_number(13670),
    ),
    Item(
        id="fuse-04",
        prompt=question_prompt(
            _INTRO,
            "Source 1 (org chart): Maya leads the design team, Leo leads the data team and "
            "Priya leads the sales team.\n"
            "Source 2 (calendar): Thursday's planning meeting is run by the leader of the data "
            "team.\n"
            "Source 3 (memo): The data team's leader is on holiday this week; the deputy, Ana, "
            "stands in for all of the leader's meetings.",
            "Who runs Thursday's planning meeting this week?",
            "first name",
        ),
        reference=(
            "The meeting belongs to the data team leader, Leo, but he is on holiday this week, "
            "so his deputy runs it.\n\nANSWER: Ana"
        ),
        near_miss="The data team is led by Leo, so Leo runs the meeting.\n\nANSWER: Leo",
        score=exact_text("Ana", rivals=("Leo",)),
    ),
    Item(
        id="fuse-05",
        prompt=question_prompt(
            _INTRO,
            "Source 1 (recipe): One loaf needs 3 cups of flour.\n"
            "Source 2 (kitchen guide): One cup of flour weighs 120 grams.\n"
            "Source 3 (pantry list): There is one 2 kg bag of flour and no other flour.",
            "How many whole loaves can be baked?",
            "whole number",
        ),
        reference=(
            "Each loaf needs 3 × 120 g = 360 g. 2,000 g ÷ 360 g ≈ 5.56, so only 5 whole loaves "
            "can be baked.\n\nANSWER: 5"
        ),
        near_miss="2,000 g ÷ 360 g ≈ 5.56, which rounds to 6 loaves.\n\nANSWER: 6",
        score=exact_number(5),
    ),
    Item(
        id="fuse-06",
        prompt=question_prompt(
            _INTRO,
            "Source 1 (booking): The room costs 80 euros per night; the guest stays 3 nights.\n"
            "Source 2 (city rules): Visitors pay a city tax of 2 euros per night.\n"
            "Source 3 (exchange desk): Today 1 euro = 1.10 US dollars.",
            "What is the guest's total bill in US dollars, room plus city tax?",
            "amount in US dollars",
        ),
        reference=(
            "Room: 3 × 80 = 240 euros. Tax: 3 × 2 = 6 euros. Total 246 euros × 1.10 = "
            "$270.60.\n\nANSWER: 270.60"
        ),
        near_miss="3 nights × 80 euros = 240 euros, × 1.10 = $264.00.\n\nANSWER: 264.00",
        score=exact_number(270.6, unit="usd"),
    ),
)

HARNESS = Harness(
    id=1,
    name="FUSE",
    description="reasoning that must combine 2–3 given sources",
    items=ITEMS,
    max_tokens=384,
    expected_completion_tokens=120,
    system="You combine several sources carefully and show brief working.",
    scorer_version="3",  # 3: thinking never graded, corrections after the answer, sign-offs
    # skipped (blind sets); 2: the shared answer grammar
)
