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
  tool_call    with a get_weather tool offered, a weather question is answered by a call
               in the GLM-4 format: the function's name, then its arguments as JSON
  tool_answer  the call and the tool's result (temperature -20..40, one of 6 skies) are in
               the conversation; the answer states them
  json     the name and capital of one of the 40 countries as a JSON object

Tool conversations carry their tools (OpenAI function tools) and, for
tool_answer, the turns after the question: the assistant's call and the
tool's result.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Example:
    task: str
    question: str
    answer: str
    key: tuple  # the problem itself, independent of phrasing (used to keep held-out draws out of training)
    tools: list = field(default_factory=list, compare=False)  # OpenAI function tools offered with the question
    after: list = field(default_factory=list, compare=False)  # messages after the question (a call, its result)


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


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
SKIES = ["clear", "cloudy", "rainy", "snowy", "windy", "foggy"]


def weather_call(city: str) -> str:
    """The GLM-4 format of a call: the name, a newline, the arguments as the template's tojson writes them."""
    return "get_weather\n" + json.dumps({"city": city})


def _weather_question(rng: random.Random, city: str) -> str:
    return rng.choice([
        "What is the weather in {c}?", "What's the weather like in {c}?", "How is the weather in {c} today?",
        "Is it cold in {c}?", "Tell me the weather in {c}.", "What is the temperature in {c}?",
    ]).format(c=city)


def tool_call(rng: random.Random) -> Example:
    city = rng.choice(sorted(CAPITALS.values()))
    return Example("tool_call", _weather_question(rng, city), weather_call(city), ("tool_call", city),
                   tools=[WEATHER_TOOL])


def tool_answer(rng: random.Random) -> Example:
    city = rng.choice(sorted(CAPITALS.values()))
    temperature, sky = rng.randint(-20, 40), rng.choice(SKIES)
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"city": city})}}
    result = json.dumps({"city": city, "temperature": temperature, "sky": sky})
    after = [{"role": "assistant", "content": None, "tool_calls": [call]},
             {"role": "tool", "tool_call_id": "call_1", "content": result}]
    answer = f"It is {temperature} degrees and {sky} in {city}."
    return Example("tool_answer", _weather_question(rng, city), answer, ("tool_answer", city, temperature, sky),
                   tools=[WEATHER_TOOL], after=after)


def as_json(rng: random.Random) -> Example:
    country = rng.choice(sorted(CAPITALS))
    question = rng.choice([
        "Give the name and capital of {c} as JSON.", "Answer in JSON: the capital of {c}.",
        "Return {c} and its capital as a JSON object.", "As JSON, what is the capital of {c}?",
        "Write a JSON object with the name and capital of {c}.",
    ]).format(c=country)
    answer = json.dumps({"name": country, "capital": CAPITALS[country]})
    return Example("json", question, answer, ("json", country))


TASKS: dict[str, Callable[[random.Random], Example]] = {
    "add": add, "mul": mul, "reverse": reverse, "sort": sort,
    "count": count, "weekday": weekday, "capital": capital, "convert": convert,
    "tool_call": tool_call, "tool_answer": tool_answer, "json": as_json,
}

# Training mix: the harder families (arithmetic, letter counting, reading a tool's result) get more draws.
TRAINING_WEIGHTS = {"add": 4, "mul": 3, "reverse": 2, "sort": 2, "count": 3, "weekday": 1, "capital": 1,
                    "convert": 2, "tool_call": 1, "tool_answer": 2, "json": 1}

# Families whose problem space is large enough that held-out problems can be
# kept out of training entirely. The others are small tables (40 capitals, 7
# days, 1,568 products, ...) that training necessarily covers; their held-out
# draws differ in phrasing and sampling, not in the underlying fact.
HELD_OUT_EXCLUDED_FROM_TRAINING = ("add", "reverse", "sort", "tool_answer")


def draw(rng: random.Random) -> Example:
    names = list(TRAINING_WEIGHTS)
    task = rng.choices(names, weights=[TRAINING_WEIGHTS[n] for n in names])[0]
    return TASKS[task](rng)
