#include "runtime/sampling/penalties.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"
#include "runtime/sampling/top_k.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using testing::FromLogits;
using testing::Logits;

constexpr int32_t kVocab = 8;

TEST(PenaltiesSamplerTest, RepeatDividesPositiveAndMultipliesNegativeLogits) {
  PenaltiesSampler penalties(kVocab, /*last_n=*/64, /*repeat=*/2.0f, 0.0f, 0.0f);
  penalties.Accept(0);
  penalties.Accept(1);
  penalties.Accept(4);
  Candidates c = FromLogits({2.0f, -2.0f, 1.0f, 0.5f, 0.0f});
  penalties.Apply(c);
  // Token 0: 2 / 2; token 1: -2 * 2; tokens 2, 3 not seen; token 4: 0 * 2 stays 0.
  EXPECT_THAT(Logits(c), ElementsAre(1.0f, -4.0f, 1.0f, 0.5f, 0.0f));
  EXPECT_FALSE(c.sorted);
}

TEST(PenaltiesSamplerTest, RepeatIsNotScaledByCount) {
  PenaltiesSampler penalties(kVocab, 64, 2.0f, 0.0f, 0.0f);
  for (int i = 0; i < 5; ++i) penalties.Accept(0);
  Candidates c = FromLogits({3.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(1.5f));
}

TEST(PenaltiesSamplerTest, FrequencySubtractsCountTimesPenalty) {
  PenaltiesSampler penalties(kVocab, 64, 1.0f, /*frequency=*/0.5f, 0.0f);
  penalties.Accept(0);
  penalties.Accept(2);
  penalties.Accept(0);
  penalties.Accept(0);
  Candidates c = FromLogits({1.0f, 1.0f, -1.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(1.0f - 1.5f, 1.0f, -1.5f));
}

TEST(PenaltiesSamplerTest, PresenceSubtractsOnceWhateverTheCount) {
  PenaltiesSampler penalties(kVocab, 64, 1.0f, 0.0f, /*presence=*/0.25f);
  penalties.Accept(0);
  penalties.Accept(0);
  penalties.Accept(0);
  penalties.Accept(1);
  Candidates c = FromLogits({1.0f, -1.0f, 1.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(0.75f, -1.25f, 1.0f));
}

TEST(PenaltiesSamplerTest, AllThreeCombineInLlamaCppOrder) {
  // Repeat first, then subtract count * frequency + presence.
  PenaltiesSampler penalties(kVocab, 64, 2.0f, 0.5f, 0.25f);
  penalties.Accept(0);
  penalties.Accept(0);
  penalties.Accept(1);
  penalties.Accept(1);
  Candidates c = FromLogits({3.0f, -1.0f});
  penalties.Apply(c);
  EXPECT_THAT(c.data[0].logit, FloatEq(3.0f / 2 - (2 * 0.5f + 0.25f)));   // 0.25
  EXPECT_THAT(c.data[1].logit, FloatEq(-1.0f * 2 - (2 * 0.5f + 0.25f)));  // -3.25
}

TEST(PenaltiesSamplerTest, TokenThatLeftTheWindowIsNoLongerPenalised) {
  PenaltiesSampler penalties(kVocab, /*last_n=*/2, 2.0f, 0.0f, 0.0f);
  penalties.Accept(0);
  penalties.Accept(1);
  penalties.Accept(2);  // Evicts 0.
  EXPECT_EQ(penalties.CountInWindow(0), 0);
  EXPECT_EQ(penalties.CountInWindow(1), 1);
  EXPECT_EQ(penalties.CountInWindow(2), 1);
  Candidates c = FromLogits({4.0f, 4.0f, 4.0f, 4.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(4.0f, 2.0f, 2.0f, 4.0f));
}

TEST(PenaltiesSamplerTest, WindowCountsOnlyTheLastNOccurrences) {
  PenaltiesSampler penalties(kVocab, /*last_n=*/3, 1.0f, /*frequency=*/1.0f, 0.0f);
  for (int32_t t : {5, 5, 6, 7}) penalties.Accept(t);  // Window: 5 6 7.
  EXPECT_EQ(penalties.CountInWindow(5), 1);
  Candidates c = FromLogits({0, 0, 0, 0, 0, 10.0f, 10.0f, 10.0f});
  penalties.Apply(c);
  EXPECT_THAT(c.data[5].logit, FloatEq(9.0f));
  penalties.Accept(6);  // Window: 6 7 6; 5 gone.
  EXPECT_EQ(penalties.CountInWindow(5), 0);
  EXPECT_EQ(penalties.CountInWindow(6), 2);
  c = FromLogits({0, 0, 0, 0, 0, 10.0f, 10.0f, 10.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(0, 0, 0, 0, 0, 10.0f, 8.0f, 9.0f));
}

TEST(PenaltiesSamplerTest, ResetEmptiesTheWindow) {
  PenaltiesSampler penalties(kVocab, 4, 2.0f, 0.0f, 0.0f);
  penalties.Accept(1);
  penalties.Reset();
  EXPECT_EQ(penalties.CountInWindow(1), 0);
  Candidates c = FromLogits({1.0f, 1.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(1.0f, 1.0f));
  // And it fills again normally after a reset.
  for (int32_t t : {1, 1, 1, 1, 1}) penalties.Accept(t);
  EXPECT_EQ(penalties.CountInWindow(1), 4);
}

TEST(PenaltiesSamplerTest, NeutralSettingsOrEmptyWindowAreNoOps) {
  PenaltiesSampler neutral(kVocab, 64, 1.0f, 0.0f, 0.0f);
  EXPECT_FALSE(neutral.active());
  PenaltiesSampler no_window(kVocab, 0, 1.5f, 0.5f, 0.5f);
  EXPECT_FALSE(no_window.active());
  for (PenaltiesSampler* p : {&neutral, &no_window}) {
    p->Accept(0);
    Candidates c = FromLogits({1.0f, 2.0f});
    c.sorted = false;
    p->Apply(c);
    EXPECT_THAT(Logits(c), ElementsAre(1.0f, 2.0f));
  }
}

// After a filter the set is no longer indexed by id; the scan fallback must penalise the same
// tokens the direct path does.
TEST(PenaltiesSamplerTest, WorksOnAFilteredReorderedSet) {
  PenaltiesSampler penalties(kVocab, 64, 2.0f, 0.0f, 0.0f);
  penalties.Accept(3);
  penalties.Accept(6);
  Candidates c = FromLogits({0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f});
  TopKSampler(4).Apply(c);  // Ids 7 6 5 4.
  penalties.Apply(c);
  EXPECT_THAT(testing::Ids(c), ElementsAre(7, 6, 5, 4));
  EXPECT_THAT(Logits(c), ElementsAre(7.0f, 3.0f, 5.0f, 4.0f));
}

TEST(PenaltiesSamplerTest, OutOfVocabularyTokensTakeASlotButAreNotCounted) {
  PenaltiesSampler penalties(kVocab, 2, 2.0f, 0.0f, 0.0f);
  penalties.Accept(1);
  penalties.Accept(-5);
  penalties.Accept(kVocab + 3);  // Evicts 1.
  EXPECT_EQ(penalties.CountInWindow(1), 0);
  EXPECT_EQ(penalties.CountInWindow(-5), 0);
  Candidates c = FromLogits({1.0f, 1.0f});
  penalties.Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(1.0f, 1.0f));
}

}  // namespace
}  // namespace strata::sampling
