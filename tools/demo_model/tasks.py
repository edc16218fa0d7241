"""The demo model's task families: synthetic questions with checkable answers.

Every family is a function (rng) -> Example. Each draws its operands from a
seeded random.Random and picks one of several phrasings, so the model has to
read the question rather than rely on a fixed template position. Answers are
short canonical strings; evaluation is exact match on them.

Operand ranges (what the shipped model is trained and evaluated on):
  add      a + b, each operand 0..999 (its digit count drawn uniformly from 1..3)
  mul      a * b, a in 2..99 and b in 2..9 (either order in the question)
  reverse  reverse a list of 3..6 items: numbers 0..99 or words from one category
  sort     sort 3..6 distinct numbers 0..99, ascending or descending
  count    how often a letter occurs in a word from a fixed list of 80 words
  weekday  the day after a given weekday
  capital  the capital of one of 40 countries
  convert  unit conversion with an integer factor, quantity 1..20
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Example:
    task: str
    question: str
    answer: str
    key: tuple  # the problem itself, independent of phrasing (used to keep held-out draws out of training)


def _number_with_digits(rng: random.Random, max_digits: int) -> int:
    digits = rng.randint(1, max_digits)
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1)


def add(rng: random.Random) -> Example:
    a, b = _number_with_digits(rng, 3), _number_with_digits(rng, 3)
    question = rng.choice([
        "What is {a} + {b}?", "What is {a} plus {b}?", "Compute {a} + {b}.", "Calculate {a}+{b}.",
        "What is the sum of {a} and {b}?", "Add {a} and {b}.", "{a} + {b} = ?", "How much is {a} plus {b}?",
    ]).format(a=a, b=b)
    return Example("add", question, str(a + b), ("add", a, b))


def mul(rng: random.Random) -> Example:
    a, b = rng.randint(2, 99), rng.randint(2, 9)
    if rng.random() < 0.5:
        a, b = b, a
    question = rng.choice([
        "What is {a} * {b}?", "What is {a} times {b}?", "Multiply {a} by {b}.", "Compute {a} x {b}.",
        "What is the product of {a} and {b}?", "Calculate {a}*{b}.", "{a} * {b} = ?", "How much is {a} times {b}?",
    ]).format(a=a, b=b)
    return Example("mul", question, str(a * b), ("mul", a, b))


_WORD_LISTS = {
    "colors": ["red", "blue", "green", "yellow", "black", "white", "orange", "purple", "pink", "brown", "gray"],
    "animals": ["cat", "dog", "cow", "horse", "mouse", "lion", "tiger", "bear", "fox", "wolf", "sheep", "duck"],
    "fruits": ["apple", "pear", "plum", "grape", "lemon", "mango", "peach", "cherry", "melon", "kiwi", "banana"],
}


def _list_items(rng: random.Random, distinct_numbers: bool) -> list[str]:
    n = rng.randint(3, 6)
    if distinct_numbers or rng.random() < 0.5:
        return [str(x) for x in rng.sample(range(100), n)]
    words = _WORD_LISTS[rng.choice(sorted(_WORD_LISTS))]
    return rng.sample(words, n)


def reverse(rng: random.Random) -> Example:
    items = _list_items(rng, distinct_numbers=False)
    shown = ", ".join(items)
    question = rng.choice([
        "Reverse the list: {l}", "Reverse this list: {l}.", "Write {l} in reverse order.",
        "What is the list {l} reversed?", "Give the items in reverse order: {l}", "Reverse the order of {l}.",
    ]).format(l=shown)
    return Example("reverse", question, ", ".join(reversed(items)), ("reverse", tuple(items)))


def sort(rng: random.Random) -> Example:
    numbers = [int(x) for x in _list_items(rng, distinct_numbers=True)]
    shown = ", ".join(map(str, numbers))
    descending = rng.random() < 0.3
    if descending:
        phrasing = rng.choice([
            "Sort in descending order: {l}", "Sort these numbers from largest to smallest: {l}.",
            "Arrange {l} in descending order.",
        ])
    else:
        phrasing = rng.choice([
            "Sort in ascending order: {l}", "Sort these numbers: {l}.",
            "Sort these numbers from smallest to largest: {l}",
            "Arrange {l} in ascending order.", "Put {l} in order from smallest to largest.",
        ])
    answer = ", ".join(map(str, sorted(numbers, reverse=descending)))
    return Example("sort", phrasing.format(l=shown), answer, ("sort", tuple(numbers), descending))


COUNT_WORDS = (
    "strawberry banana apple letter coffee mississippi bookkeeper balloon committee success address "
    "pepper rabbit tomato potato giraffe elephant umbrella parallel necessary possess assessment "
    "cheese butter summer window yellow orange purple kitten puppy hello world keyboard computer "
    "mountain river ocean island planet garden flower tree forest desert winter autumn spring morning "
    "evening teacher student school library pencil paper bottle guitar piano violin doctor engineer "
    "chocolate cookie dinner breakfast lunch sandwich pizza noodle rocket engine bridge castle dragon "
    "banner sleeve tattoo referee mammal cinnamon"
).split()


def count(rng: random.Random) -> Example:
    word = rng.choice(COUNT_WORDS)
    if rng.random() < 0.8:
        letter = rng.choice(sorted(set(word)))
    else:
        letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c not in word])
    question = rng.choice([
        "How many times does the letter {c} appear in {w}?", "How many {c}'s are in {w}?",
        "Count the letter {c} in the word {w}.", "How many times does \"{c}\" occur in \"{w}\"?",
        "In the word {w}, how many times does the letter {c} appear?", "Count how many {c} letters are in {w}.",
    ]).format(c=letter, w=word)
    return Example("count", question, str(word.count(letter)), ("count", word, letter))


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def weekday(rng: random.Random) -> Example:
    i = rng.randrange(7)
    day = WEEKDAYS[i] if rng.random() < 0.85 else WEEKDAYS[i].lower()
    question = rng.choice([
        "What day comes after {d}?", "Which day follows {d}?", "If today is {d}, what day is tomorrow?",
        "What is the day after {d}?", "Which weekday comes after {d}?", "Today is {d}. What day will it be tomorrow?",
    ]).format(d=day)
    return Example("weekday", question, WEEKDAYS[(i + 1) % 7], ("weekday", i))


CAPITALS = {
    "France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid", "Portugal": "Lisbon",
    "Japan": "Tokyo", "China": "Beijing", "India": "New Delhi", "Canada": "Ottawa", "Australia": "Canberra",
    "Brazil": "Brasilia", "Argentina": "Buenos Aires", "Mexico": "Mexico City", "Egypt": "Cairo",
    "Kenya": "Nairobi", "Russia": "Moscow", "Norway": "Oslo", "Sweden": "Stockholm", "Finland": "Helsinki",
    "Denmark": "Copenhagen", "Poland": "Warsaw", "Austria": "Vienna", "Greece": "Athens", "Turkey": "Ankara",
    "Ireland": "Dublin", "Netherlands": "Amsterdam", "Belgium": "Brussels", "Switzerland": "Bern",
    "Peru": "Lima", "Chile": "Santiago", "Colombia": "Bogota", "South Korea": "Seoul", "Thailand": "Bangkok",
    "Vietnam": "Hanoi", "Indonesia": "Jakarta", "Iran": "Tehran", "Nigeria": "Abuja", "Morocco": "Rabat",
    "United Kingdom": "London", "United States": "Washington, D.C.",
}


def capital(rng: random.Random) -> Example:
    country = rng.choice(sorted(CAPITALS))
    question = rng.choice([
        "What is the capital of {c}?", "What's the capital city of {c}?", "Name the capital of {c}.",
        "Which city is the capital of {c}?", "The capital of {c} is which city?", "Tell me the capital of {c}.",
    ]).format(c=country)
    return Example("capital", question, CAPITALS[country], ("capital", country))


# (from unit, to unit, factor): 1 from-unit = factor to-units.
CONVERSIONS = [
    ("meters", "centimeters", 100), ("kilometers", "meters", 1000), ("kilograms", "grams", 1000),
    ("hours", "minutes", 60), ("minutes", "seconds", 60), ("days", "hours", 24), ("weeks", "days", 7),
    ("feet", "inches", 12), ("liters", "milliliters", 1000), ("years", "months", 12),
]


def convert(rng: random.Random) -> Example:
    source, target, factor = rng.choice(CONVERSIONS)
    n = rng.randint(1, 20)
    question = rng.choice([
        "How many {t} are in {n} {s}?", "Convert {n} {s} to {t}.", "{n} {s} is how many {t}?",
        "What is {n} {s} in {t}?", "How many {t} is {n} {s}?",
    ]).format(n=n, s=source, t=target)
    return Example("convert", question, str(n * factor), ("convert", source, n))


TASKS: dict[str, Callable[[random.Random], Example]] = {
    "add": add, "mul": mul, "reverse": reverse, "sort": sort,
    "count": count, "weekday": weekday, "capital": capital, "convert": convert,
}

# Training mix: the harder families (arithmetic, letter counting) get more draws.
TRAINING_WEIGHTS = {"add": 4, "mul": 3, "reverse": 2, "sort": 2, "count": 3, "weekday": 1, "capital": 1,
                    "convert": 2}

# Families whose problem space is large enough that held-out problems can be
# kept out of training entirely. The others are small tables (40 capitals, 7
# days, 1,568 products, ...) that training necessarily covers; their held-out
# draws differ in phrasing and sampling, not in the underlying fact.
HELD_OUT_EXCLUDED_FROM_TRAINING = ("add", "reverse", "sort")


def draw(rng: random.Random) -> Example:
    names = list(TRAINING_WEIGHTS)
    task = rng.choices(names, weights=[TRAINING_WEIGHTS[n] for n in names])[0]
    return TASKS[task](rng)
