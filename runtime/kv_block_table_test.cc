#include "runtime/kv_block_table.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;

// The CSR arrays stay consistent: indptr is the running page count and every
// page id is used at most once.
void ExpectConsistent(const KvBlockTable& t) {
  ASSERT_EQ(t.indptr().size(), static_cast<size_t>(t.n_seq() + 1));
  EXPECT_EQ(t.indptr().front(), 0);
  EXPECT_EQ(static_cast<size_t>(t.indptr().back()), t.indices().size());
  std::vector<bool> used(t.max_pages(), false);
  for (int s = 0; s < t.n_seq(); ++s) {
    EXPECT_EQ(static_cast<int64_t>(t.pages(s).size()), t.PagesFor(t.length(s)));
    for (int32_t p : t.pages(s)) {
      ASSERT_FALSE(used[p]) << "page " << p << " used twice";
      used[p] = true;
    }
  }
  EXPECT_EQ(t.free_pages() + static_cast<int64_t>(t.indices().size()), t.max_pages());
}

TEST(KvBlockTableTest, GrowsPageByPageAndTracksTheLastPage) {
  KvBlockTable t(1, 16, 8);
  EXPECT_EQ(t.NewPagesFor(0, 1), std::vector<int32_t>({0}));
  EXPECT_TRUE(t.NewPagesFor(0, 0).empty());
  t.Grow(0, 5, t.NewPagesFor(0, 5));
  EXPECT_THAT(t.pages(0), ElementsAre(0));
  EXPECT_THAT(t.last_page_len(), ElementsAre(5));
  // Within the page: no new page.
  EXPECT_TRUE(t.NewPagesFor(0, 16).empty());
  t.Grow(0, 16, {});
  EXPECT_THAT(t.last_page_len(), ElementsAre(16));
  const std::vector<int32_t> next = t.NewPagesFor(0, 40);
  EXPECT_EQ(next, std::vector<int32_t>({1, 2}));
  t.Grow(0, 40, next);
  EXPECT_THAT(t.pages(0), ElementsAre(0, 1, 2));
  EXPECT_THAT(t.last_page_len(), ElementsAre(8));
  EXPECT_EQ(t.page_of(0, 39), 2);
  EXPECT_EQ(t.page_of(0, 16), 1);
  ExpectConsistent(t);
}

TEST(KvBlockTableTest, ShrinkReturnsPagesAndTheLowestIsReusedFirst) {
  KvBlockTable t(1, 4, 6);
  t.Grow(0, 20, t.NewPagesFor(0, 20));  // Pages 0..4.
  EXPECT_EQ(t.free_pages(), 1);
  EXPECT_TRUE(t.NewPagesFor(0, 28).empty());  // Needs 2, one is free.
  EXPECT_EQ(t.Shrink(0, 9), std::vector<int32_t>({3, 4}));
  EXPECT_THAT(t.pages(0), ElementsAre(0, 1, 2));
  EXPECT_THAT(t.last_page_len(), ElementsAre(1));
  EXPECT_EQ(t.NewPagesFor(0, 13), std::vector<int32_t>({3}));
  EXPECT_TRUE(t.Shrink(0, 9).empty());
  EXPECT_EQ(t.Shrink(0, 0), std::vector<int32_t>({0, 1, 2}));
  EXPECT_EQ(t.length(0), 0);
  EXPECT_THAT(t.last_page_len(), ElementsAre(0));
  EXPECT_EQ(t.NewPagesFor(0, 1), std::vector<int32_t>({0}));
  ExpectConsistent(t);
}

TEST(KvBlockTableTest, SequencesShareThePageSpaceInCsrOrder) {
  KvBlockTable t(2, 8, 10);
  t.Grow(1, 10, t.NewPagesFor(1, 10));  // Pages 0, 1.
  t.Grow(0, 20, t.NewPagesFor(0, 20));  // Pages 2, 3, 4.
  EXPECT_THAT(t.indptr(), ElementsAre(0, 3, 5));
  EXPECT_THAT(t.indices(), ElementsAre(2, 3, 4, 0, 1));
  EXPECT_THAT(t.last_page_len(), ElementsAre(4, 2));
  EXPECT_EQ(t.Shrink(0, 8), std::vector<int32_t>({3, 4}));
  EXPECT_THAT(t.indptr(), ElementsAre(0, 1, 3));
  EXPECT_THAT(t.pages(1), ElementsAre(0, 1));
  t.Grow(1, 17, t.NewPagesFor(1, 17));
  EXPECT_THAT(t.pages(1), ElementsAre(0, 1, 3));
  ExpectConsistent(t);
}

}  // namespace
}  // namespace strata
