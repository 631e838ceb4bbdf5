#include "runtime/synthetic/builtin_corpus.h"

namespace strata {

absl::string_view BuiltinCorpus() {
  static constexpr char kCorpus[] =
      R"(Once upon a time, in a town built on the side of a hill, there lived a baker who rose every morning before the sun. She lit the oven, mixed the flour with water and salt, and waited for the dough to rise. The people of the town said that her bread was the best in the whole valley, and every day a long line of neighbours formed outside her door.

The river that ran below the town was wide and slow. In the summer, children swam in it and fishermen sat on its banks for hours. In the winter, the water turned grey and cold, and the boats stayed tied to the wooden pier. An old man who had lived by the river all his life could tell, just by looking at the colour of the water, whether it would rain the next day.

A computer is a machine that follows instructions. It reads numbers from memory, adds and multiplies them, and writes the results back. Modern processors can do billions of these steps every second, but they spend much of their time waiting for data to arrive from memory. That is why engineers care so much about caches, bandwidth, and the order in which a program touches its data.

Language models predict the next word of a text. They read a sequence of tokens, turn each token into a vector of numbers, and pass those vectors through many layers. Each layer mixes information between positions with attention, then transforms every position on its own with a feed-forward network. A mixture of experts replaces that network with many smaller ones and lets a router choose only a few of them for each token.

The library opened at nine in the morning and closed at six in the evening. Students came to study, retired teachers came to read the newspaper, and small children came on Saturdays to listen to stories. The librarian knew where every book was kept, and she could find a lost volume faster than any catalogue.

Weather changes from day to day, but climate describes the patterns over many years. A warm spring may be followed by a cold summer, and a dry year by a wet one. Farmers watch the sky, the soil, and the calendar, because the right day to plant can decide the size of the harvest.

Good software is written for people as much as for machines. Clear names, short functions, and honest error messages help the next engineer understand what the code does and why. Tests show that it works today; simple design keeps it working tomorrow. When something fails, the program should say what went wrong, where, and what the user can do about it.

In the market square there were stalls selling apples, pears, cheese, honey, and fresh eggs. A musician played the violin near the fountain, and a dog slept in the shade of a tree. People talked about the price of grain, the news from the capital, and the wedding that would take place on Sunday.

Mathematics is the study of patterns. Numbers, shapes, and changes can all be described with a few rules, and from those rules surprising results follow. One, two, three, four, five, six, seven, eight, nine, ten: counting is where it begins, but it leads to algebra, geometry, probability, and the theory of information.

The train left the station at a quarter past seven. Through the window, the passengers watched fields, forests, and small villages pass by. Some read, some slept, and some simply looked outside and thought about the journey ahead and the people waiting for them at the end of it.)";
  return kCorpus;
}

}  // namespace strata
