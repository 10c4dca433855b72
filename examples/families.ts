import type { Rng } from "../src/core/rng.js";

/**
 * The task families of the bundled example: each draws an item from a small vocabulary written here and
 * phrases it with one of 3–4 prompt templates worded differently (alpaca layout: instruction, input, output).
 */
export interface Row {
  instruction: string;
  input: string;
  output: string;
}

export interface Family {
  name: string;
  /** Template names, e.g. ["t1", "t2", "t3"]. */
  templates: readonly string[];
  /** One row of template `t` with a freshly drawn item. */
  row(rng: Rng, t: number): Row;
}

type Template<T> = (item: T) => Row;

function family<T>(name: string, draw: (rng: Rng) => T, templates: readonly Template<T>[]): Family {
  return {
    name,
    templates: templates.map((_, i) => `t${i + 1}`),
    row: (rng, t) => templates[t]!(draw(rng)),
  };
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** Parse "a:b, c:d" into pairs. */
function pairs(spec: string): [string, string][] {
  return spec.split(",").map((p) => {
    const [a, b] = p.split(":").map((s) => s.trim());
    return [a!, b!];
  });
}

function words(spec: string): string[] {
  return spec.trim().split(/\s+/);
}

const q = (s: string) => `"${s}"`;

// ---------------------------------------------------------------------------------------------------------
// Vocabularies

const REVIEW_SUBJECTS = words(
  "movie book pizza hotel phone concert game restaurant jacket laptop coffee museum show album car",
);
const POSITIVE = [
  "was wonderful",
  "was amazing",
  "exceeded my expectations",
  "made my day",
  "was worth every penny",
  "was a real delight",
];
const NEGATIVE = [
  "was terrible",
  "was a waste of money",
  "broke after one day",
  "was boring",
  "disappointed me",
  "was awful",
];

const UNITS: [string, string, number][] = [
  ["kilometers", "meters", 1000],
  ["meters", "centimeters", 100],
  ["kilograms", "grams", 1000],
  ["hours", "minutes", 60],
  ["minutes", "seconds", 60],
  ["liters", "milliliters", 1000],
  ["days", "hours", 24],
  ["weeks", "days", 7],
  ["feet", "inches", 12],
  ["yards", "feet", 3],
];

const CAPITALS = pairs(
  "France:Paris, Germany:Berlin, Italy:Rome, Spain:Madrid, Portugal:Lisbon, Japan:Tokyo, China:Beijing, " +
    "India:New Delhi, Egypt:Cairo, Kenya:Nairobi, Canada:Ottawa, Mexico:Mexico City, Brazil:Brasilia, " +
    "Argentina:Buenos Aires, Peru:Lima, Chile:Santiago, Australia:Canberra, Norway:Oslo, Sweden:Stockholm, " +
    "Finland:Helsinki, Denmark:Copenhagen, Poland:Warsaw, Greece:Athens, Turkey:Ankara, Russia:Moscow, " +
    "Ireland:Dublin, Austria:Vienna, Hungary:Budapest, Thailand:Bangkok, Vietnam:Hanoi, South Korea:Seoul, " +
    "Indonesia:Jakarta, Nigeria:Abuja, Morocco:Rabat, Cuba:Havana, Colombia:Bogota, Belgium:Brussels, " +
    "Netherlands:Amsterdam, Switzerland:Bern, Iran:Tehran",
);

const ANTONYMS = pairs(
  "hot:cold, big:small, fast:slow, happy:sad, light:dark, open:closed, early:late, rich:poor, strong:weak, " +
    "full:empty, young:old, hard:soft, wet:dry, loud:quiet, tall:short, thick:thin, clean:dirty, " +
    "cheap:expensive, push:pull, win:lose, true:false, inside:outside, love:hate, near:far, brave:cowardly, " +
    "sweet:sour, ancient:modern, friend:enemy, arrive:depart, buy:sell, laugh:cry, asleep:awake, " +
    "increase:decrease, remember:forget, safe:dangerous, smooth:rough, day:night, question:answer",
);

const PLURALS = pairs(
  "cat:cats, dog:dogs, box:boxes, child:children, mouse:mice, foot:feet, tooth:teeth, man:men, woman:women, " +
    "person:people, city:cities, baby:babies, knife:knives, leaf:leaves, wolf:wolves, bus:buses, " +
    "church:churches, potato:potatoes, hero:heroes, sheep:sheep, fish:fish, goose:geese, ox:oxen, " +
    "cactus:cacti, book:books, glass:glasses, dish:dishes, lady:ladies, key:keys, toy:toys, half:halves, " +
    "life:lives, tomato:tomatoes, watch:watches, class:classes, day:days, story:stories, wish:wishes, " +
    "fox:foxes, deer:deer",
);

const COMMON_WORDS = words(
  "apple garden window planet silver rocket pencil bridge yellow castle orange forest dragon button " +
    "candle island jacket kitten ladder marble number pocket rabbit summer ticket violin wonder basket " +
    "camera dinner engine flower guitar hammer letter mirror needle office people puzzle school travel " +
    "winter zebra bottle cookie",
);

const ADJECTIVES = words("green quiet happy little shiny broken golden sleepy brave tiny ancient bright");
const NOUNS = words("apple river dragon garden kitten lamp mountain song ship letter clock forest");

const MONTHS = words("January February March April May June July August September October November December");

const ONES = words(
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
);
const TENS = words("_ _ twenty thirty forty fifty sixty seventy eighty ninety");

const COLOR_MIXES: [string, string, string][] = [
  ["red", "blue", "purple"],
  ["red", "yellow", "orange"],
  ["blue", "yellow", "green"],
  ["red", "white", "pink"],
  ["black", "white", "gray"],
  ["blue", "white", "light blue"],
  ["red", "black", "maroon"],
  ["green", "red", "brown"],
  ["purple", "white", "lavender"],
  ["green", "white", "light green"],
  ["blue", "green", "teal"],
  ["orange", "white", "peach"],
  ["yellow", "green", "yellow-green"],
  ["blue", "orange", "brown"],
];

const ANIMAL_SOUNDS = pairs(
  "dog:bark, cat:meow, cow:moo, sheep:baa, duck:quack, pig:oink, horse:neigh, lion:roar, owl:hoot, " +
    "snake:hiss, bee:buzz, frog:croak, rooster:crow, mouse:squeak, wolf:howl, donkey:bray, crow:caw, " +
    "goose:honk, elephant:trumpet, dove:coo, turkey:gobble, goat:bleat, bear:growl, chick:peep",
);

const SYNONYMS = pairs(
  "big:large, small:little, happy:glad, fast:quick, smart:clever, begin:start, end:finish, angry:mad, " +
    "pretty:beautiful, easy:simple, hard:difficult, buy:purchase, help:assist, shut:close, choose:pick, " +
    "rich:wealthy, sick:ill, scared:afraid, funny:amusing, tired:sleepy, cold:chilly, huge:enormous, " +
    "quiet:silent, correct:right, shout:yell, talk:speak, jump:leap, gift:present, rock:stone, road:street, " +
    "kid:child, wrong:incorrect, fix:repair, under:below",
);

const RHYMES = pairs(
  "cat:hat, dog:log, sun:fun, cake:lake, light:night, tree:bee, star:car, moon:spoon, rain:train, bell:well, " +
    "ring:king, boat:coat, fish:dish, book:look, house:mouse, bear:chair, hill:mill, pen:ten, bed:red, " +
    "sock:clock, fox:box, bug:rug, pig:wig, mop:top, sand:hand, door:floor, cold:gold, seat:meat, " +
    "dime:time, rose:nose, mail:tail, toy:boy, fan:pan, chip:ship, fall:ball",
);

const FACTS: [string, string][] = [
  ["How many legs does a spider have?", "eight"],
  ["How many days are in a week?", "seven"],
  ["What planet do we live on?", "Earth"],
  ["What is the largest ocean on Earth?", "the Pacific Ocean"],
  ["What do bees make?", "honey"],
  ["What gas do plants take in from the air?", "carbon dioxide"],
  ["How many months are in a year?", "twelve"],
  ["What is frozen water called?", "ice"],
  ["Which star is closest to Earth?", "the Sun"],
  ["How many hours are in a day?", "twenty-four"],
  ["At what temperature in Celsius does water boil at sea level?", "100 degrees"],
  ["Which animal is called the king of the jungle?", "the lion"],
  ["What color is the sky on a clear day?", "blue"],
  ["How many continents are there?", "seven"],
  ["What do caterpillars turn into?", "butterflies"],
  ["Which organ pumps blood through the body?", "the heart"],
  ["What is the tallest animal?", "the giraffe"],
  ["What is the largest planet in the solar system?", "Jupiter"],
  ["How many sides does a triangle have?", "three"],
  ["What is a baby cat called?", "a kitten"],
  ["What is a baby dog called?", "a puppy"],
  ["Which season comes after winter?", "spring"],
  ["What language is mainly spoken in Brazil?", "Portuguese"],
  ["Which metal is liquid at room temperature?", "mercury"],
  ["How many wheels does a bicycle have?", "two"],
  ["At what temperature in Celsius does water freeze?", "0 degrees"],
  ["Which bird is a symbol of peace?", "the dove"],
  ["How many players are on a soccer team on the field?", "eleven"],
];

const SPELLING_WORDS = words(
  "because believe calendar different friend government library necessary receive separate tomorrow " +
    "beautiful business chocolate definitely environment February interesting knowledge neighbor " +
    "restaurant science surprise Wednesday weather whether yesterday address answer balance",
);

// ---------------------------------------------------------------------------------------------------------
// Helpers for generated items

export function numberToWords(n: number): string {
  if (n < 20) return ONES[n]!;
  if (n < 100) return n % 10 === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]}-${ONES[n % 10]}`;
  const rest = n % 100;
  const hundreds = `${ONES[Math.floor(n / 100)]} hundred`;
  return rest === 0 ? hundreds : `${hundreds} ${numberToWords(rest)}`;
}

/** A misspelling: swap two neighbouring letters, drop one, or double one (never the word itself). */
export function misspell(rng: Rng, word: string): string {
  for (;;) {
    const i = 1 + rng.int(word.length - 2);
    const kind = rng.int(3);
    const out =
      kind === 0
        ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2)
        : kind === 1
          ? word.slice(0, i) + word.slice(i + 1)
          : word.slice(0, i + 1) + word.slice(i);
    if (out !== word) return out;
  }
}

function distinctInts(rng: Rng, count: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  while (out.length < count) {
    const v = intIn(rng, lo, hi);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

const OPS = [
  { word: "plus", sym: "+", apply: (a: number, b: number) => a + b },
  { word: "minus", sym: "-", apply: (a: number, b: number) => a - b },
  { word: "times", sym: "*", apply: (a: number, b: number) => a * b },
];

const row = (instruction: string, input: string, output: string): Row => ({ instruction, input, output });

// ---------------------------------------------------------------------------------------------------------
// Families

export const FAMILIES: readonly Family[] = [
  family(
    "sentiment",
    (rng) => {
      const positive = rng.int(2) === 0;
      const text = `The ${pick(rng, REVIEW_SUBJECTS)} ${pick(rng, positive ? POSITIVE : NEGATIVE)}.`;
      return { text, label: positive ? "positive" : "negative" };
    },
    [
      (r) => row("Is the sentiment of this review positive or negative?", r.text, r.label),
      (r) => row(`Review: ${q(r.text)} Classify the sentiment as positive or negative.`, "", r.label),
      (r) => row("Decide whether the customer was happy (positive) or unhappy (negative).", r.text, r.label),
    ],
  ),
  family(
    "arithmetic",
    (rng) => {
      const op = pick(rng, OPS);
      const a = intIn(rng, 2, 60);
      const b = intIn(rng, 2, op.sym === "*" ? 12 : 60);
      return { a, b, op, answer: String(op.apply(a, b)) };
    },
    [
      (x) => row(`What is ${x.a} ${x.op.word} ${x.b}?`, "", x.answer),
      (x) => row("Compute the result.", `${x.a} ${x.op.sym} ${x.b}`, x.answer),
      (x) => row(`Calculate ${x.a} ${x.op.word} ${x.b} and give only the number.`, "", x.answer),
      (x) => row(`Solve: ${x.a} ${x.op.sym} ${x.b} = ?`, "", x.answer),
    ],
  ),
  family(
    "unit-conversion",
    (rng) => {
      const [from, to, factor] = pick(rng, UNITS);
      const v = intIn(rng, 2, 20);
      return { v, from, to, answer: `${v * factor} ${to}` };
    },
    [
      (u) => row(`Convert ${u.v} ${u.from} to ${u.to}.`, "", u.answer),
      (u) => row(`How many ${u.to} are in ${u.v} ${u.from}?`, "", u.answer),
      (u) => row(`Express the quantity in ${u.to}.`, `${u.v} ${u.from}`, u.answer),
      (u) =>
        row("Change the unit of this measurement as requested.", `${u.v} ${u.from} -> ${u.to}`, u.answer),
    ],
  ),
  family("capitals", (rng) => pick(rng, CAPITALS), [
    ([c, cap]) => row(`What is the capital of ${c}?`, "", cap),
    ([c, cap]) => row("Name the capital city of the given country.", c, cap),
    ([c, cap]) => row(`Which city is the capital of ${c}?`, "", cap),
  ]),
  family(
    "antonyms",
    (rng): [string, string] => {
      const [a, b] = pick(rng, ANTONYMS);
      return rng.int(2) === 0 ? [a, b] : [b, a];
    },
    [
      ([w, o]) => row(`What is the opposite of ${q(w)}?`, "", o),
      ([w, o]) => row("Give an antonym for the word.", w, o),
      ([w, o]) => row(`Write a word that means the opposite of ${w}.`, "", o),
      ([w, o]) => row("Antonym:", w, o),
    ],
  ),
  family("plurals", (rng) => pick(rng, PLURALS), [
    ([w, p]) => row(`What is the plural of ${q(w)}?`, "", p),
    ([w, p]) => row("Write the plural form of this noun.", w, p),
    ([w, p]) => row(`One ${w}, two ... ? Complete with the plural.`, "", p),
  ]),
  family("reverse-word", (rng) => pick(rng, COMMON_WORDS), [
    (w) => row(`Reverse the letters of the word ${q(w)}.`, "", [...w].reverse().join("")),
    (w) => row("Write the given word backwards.", w, [...w].reverse().join("")),
    (w) => row(`Spell ${w} from the last letter to the first.`, "", [...w].reverse().join("")),
  ]),
  family(
    "sort-numbers",
    (rng) => {
      const xs = distinctInts(rng, intIn(rng, 4, 6), 1, 99);
      return { list: xs.join(", "), sorted: [...xs].sort((a, b) => a - b).join(", ") };
    },
    [
      (s) => row(`Sort these numbers from smallest to largest: ${s.list}`, "", s.sorted),
      (s) => row("Arrange the numbers in ascending order.", s.list, s.sorted),
      (s) => row(`Put ${s.list} in increasing order.`, "", s.sorted),
    ],
  ),
  family("uppercase", (rng) => `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`, [
    (p) => row(`Convert to upper case: ${p}`, "", p.toUpperCase()),
    (p) => row("Rewrite the text using only capital letters.", p, p.toUpperCase()),
    (p) => row(`Make every letter in ${q(p)} uppercase.`, "", p.toUpperCase()),
  ]),
  family("count-letters", (rng) => pick(rng, COMMON_WORDS), [
    (w) => row(`How many letters are in the word ${q(w)}?`, "", String(w.length)),
    (w) => row("Count the letters in the given word.", w, String(w.length)),
    (w) => row(`Tell me the number of characters in ${w}.`, "", String(w.length)),
  ]),
  family(
    "date-format",
    (rng) => {
      const y = intIn(rng, 1950, 2030);
      const m = intIn(rng, 1, 12);
      const d = intIn(rng, 1, 28);
      const iso = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
      return { iso, long: `${MONTHS[m - 1]} ${d}, ${y}` };
    },
    [
      (x) => row(`Write the date ${x.iso} as month day, year.`, "", x.long),
      (x) => row("Convert the ISO date to the long format (e.g. January 5, 2020).", x.iso, x.long),
      (x) => row(`Change ${x.iso} into the form "Month D, YYYY".`, "", x.long),
    ],
  ),
  family("number-to-words", (rng) => intIn(rng, 0, 999), [
    (n) => row(`Write ${n} in words.`, "", numberToWords(n)),
    (n) => row("Spell out the number in English words.", String(n), numberToWords(n)),
    (n) => row(`How do you write the number ${n} using words?`, "", numberToWords(n)),
  ]),
  family("odd-even", (rng) => intIn(rng, 1, 999), [
    (n) => row(`Is ${n} odd or even?`, "", n % 2 === 0 ? "even" : "odd"),
    (n) => row("Classify the number as odd or even.", String(n), n % 2 === 0 ? "even" : "odd"),
    (n) => row(`Tell whether the number ${n} is even or odd.`, "", n % 2 === 0 ? "even" : "odd"),
  ]),
  family("compare-numbers", (rng) => distinctInts(rng, 2, 1, 999) as [number, number], [
    ([a, b]) => row(`Which is larger, ${a} or ${b}?`, "", String(Math.max(a, b))),
    ([a, b]) => row("Return the bigger of the two numbers.", `${a}, ${b}`, String(Math.max(a, b))),
    ([a, b]) => row(`Between ${a} and ${b}, which number is greater?`, "", String(Math.max(a, b))),
  ]),
  family(
    "color-mixing",
    (rng) => {
      const [a, b, mix] = pick(rng, COLOR_MIXES);
      return rng.int(2) === 0 ? { a, b, mix } : { a: b, b: a, mix };
    },
    [
      (c) => row(`What color do you get when you mix ${c.a} and ${c.b}?`, "", c.mix),
      (c) => row("Name the color that results from mixing these two paints.", `${c.a} + ${c.b}`, c.mix),
      (c) => row(`If you combine ${c.a} paint with ${c.b} paint, what color is the result?`, "", c.mix),
    ],
  ),
  family("animal-sounds", (rng) => pick(rng, ANIMAL_SOUNDS), [
    ([a, s]) => row(`What sound does a ${a} make?`, "", s),
    ([a, s]) => row("Give the sound this animal makes.", a, s),
    ([a, s]) => row(`A ${a} says what?`, "", s),
    ([a, s]) => row(`Which noise is made by a ${a}?`, "", s),
  ]),
  family("synonyms", (rng) => pick(rng, SYNONYMS), [
    ([w, s]) => row(`Give a synonym for ${q(w)}.`, "", s),
    ([w, s]) => row("Write a word that means the same as the given word.", w, s),
    ([w, s]) => row(`What is another word for ${w}?`, "", s),
  ]),
  family("rhymes", (rng) => pick(rng, RHYMES), [
    ([w, r]) => row(`Give a word that rhymes with ${q(w)}.`, "", r),
    ([w, r]) => row("Write one word that rhymes with the given word.", w, r),
    ([w, r]) => row(`What rhymes with ${w}?`, "", r),
  ]),
  family("fact-qa", (rng) => pick(rng, FACTS), [
    ([question, a]) => row(question, "", a),
    ([question, a]) => row("Answer the question.", question, a),
    ([question, a]) => row(`Question: ${question} Answer briefly.`, "", a),
  ]),
  family(
    "spelling",
    (rng) => {
      const word = pick(rng, SPELLING_WORDS);
      return { word, bad: misspell(rng, word) };
    },
    [
      (s) => row(`Correct the spelling of ${q(s.bad)}.`, "", s.word),
      (s) => row("Fix the misspelled word.", s.bad, s.word),
      (s) => row(`The word ${q(s.bad)} is misspelled. What is the correct spelling?`, "", s.word),
    ],
  ),
];

/** Families held out as the test set (unseen tasks); the other 16 form the training set. */
export const TEST_FAMILIES: readonly string[] = [
  "antonyms",
  "unit-conversion",
  "reverse-word",
  "animal-sounds",
];
