/**
 * A 3×5 pixel font for the local renderer's caption: upper-case letters, digits and a little punctuation,
 * each glyph five rows of three cells (`#` lit). Enough to read the prompt in the clip, at no cost.
 */
const GLYPHS: Record<string, string> = {
  A: ".#. #.# ### #.# #.#",
  B: "##. #.# ##. #.# ##.",
  C: ".## #.. #.. #.. .##",
  D: "##. #.# #.# #.# ##.",
  E: "### #.. ##. #.. ###",
  F: "### #.. ##. #.. #..",
  G: ".## #.. #.# #.# .##",
  H: "#.# #.# ### #.# #.#",
  I: "### .#. .#. .#. ###",
  J: "..# ..# ..# #.# .#.",
  K: "#.# #.# ##. #.# #.#",
  L: "#.. #.. #.. #.. ###",
  M: "#.# ### ### #.# #.#",
  N: "##. #.# #.# #.# #.#",
  O: ".#. #.# #.# #.# .#.",
  P: "##. #.# ##. #.. #..",
  Q: ".#. #.# #.# ##. .##",
  R: "##. #.# ##. #.# #.#",
  S: ".## #.. .#. ..# ##.",
  T: "### .#. .#. .#. .#.",
  U: "#.# #.# #.# #.# ###",
  V: "#.# #.# #.# #.# .#.",
  W: "#.# #.# ### ### #.#",
  X: "#.# #.# .#. #.# #.#",
  Y: "#.# #.# .#. .#. .#.",
  Z: "### ..# .#. #.. ###",
  "0": "### #.# #.# #.# ###",
  "1": ".#. ##. .#. .#. ###",
  "2": "##. ..# .#. #.. ###",
  "3": "##. ..# .#. ..# ##.",
  "4": "#.# #.# ### ..# ..#",
  "5": "### #.. ##. ..# ##.",
  "6": ".## #.. ### #.# ###",
  "7": "### ..# .#. .#. .#.",
  "8": "### #.# ### #.# ###",
  "9": "### #.# ### ..# ##.",
  ".": "... ... ... ... .#.",
  ",": "... ... ... .#. #..",
  "!": ".#. .#. .#. ... .#.",
  "?": "##. ..# .#. ... .#.",
  "-": "... ... ### ... ...",
  "'": ".#. .#. ... ... ...",
  ":": "... .#. ... .#. ...",
  "/": "..# ..# .#. #.. #..",
  " ": "... ... ... ... ...",
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** The lit cells of `char` as [column, row] pairs; characters outside the font draw as `?`. */
export function glyphCells(char: string): [number, number][] {
  const rows = (GLYPHS[char.toUpperCase()] ?? GLYPHS["?"] ?? "").split(" ");
  const cells: [number, number][] = [];
  rows.forEach((row, y) => [...row].forEach((cell, x) => cell === "#" && cells.push([x, y])));
  return cells;
}
