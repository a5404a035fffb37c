#pragma once
/// Internal to the query library (includes xapian.h): the per-field stem terms that the index does
/// not hold (those of schema::kDerivedField, the text), computed when a query asks for one from the
/// all-fields stem term and the other fields' stem terms (see schema::kDerivedField).
///
/// Why: those terms were a third of all the terms a build wrote. A field query on the text is rare,
/// and reading four posting lists for it costs far less than writing the terms for every record.

#include "query/search/detail/matcher.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// The records holding a derived term, in ascending docid order, with its wdf in each.
struct DerivedPostings {
    std::vector<Xapian::docid> docids;
    std::vector<Xapian::termcount> wdfs;
};

/// The postings of the derived-field stem terms of `stems`, merged as one term (the wdfs of a
/// record add up): one stem for a word, several for a wildcard.
[[nodiscard]] DerivedPostings derive_postings(const Xapian::Database& db,
                                              const std::vector<std::string>& stems);

/// The wdf of the derived-field stem term of `stem` in `doc` (0 when the field lacks the stem).
[[nodiscard]] Xapian::termcount derived_wdf(const Xapian::Document& doc, std::string_view stem);

/// The stems starting with `stem_prefix` that some record holds, at most `limit` of them, the most
/// frequent first (as Xapian's wildcards keep the most frequent expansions).
[[nodiscard]] std::vector<std::string>
stems_with_prefix(const Xapian::Database& db, std::string_view stem_prefix, unsigned limit);

/// A derived term (or a wildcard over derived terms) in a query that Xapian runs, weighted by BM25
/// exactly as the in-memory matcher weighs it.
class DerivedPostingSource final : public Xapian::PostingSource {
  public:
    /// The derived term of `stem`, or with `wildcard_limit` > 0 the derived terms of the most
    /// frequent stems starting with `stem`. `whole` is the database searched: Xapian hands each
    /// of its shards to a copy of the source, and the weights use the statistics of the whole.
    DerivedPostingSource(std::string stem, unsigned wildcard_limit, Bm25Params params,
                         Xapian::Database whole);

    void init(const Xapian::Database& db) override;
    Xapian::doccount get_termfreq_min() const override { return count(); }
    Xapian::doccount get_termfreq_est() const override { return count(); }
    Xapian::doccount get_termfreq_max() const override { return count(); }
    void next(double min_wt) override;
    void skip_to(Xapian::docid did, double min_wt) override;
    bool at_end() const override { return started_ && at_ >= postings_.docids.size(); }
    Xapian::docid get_docid() const override { return postings_.docids[at_]; }
    double get_weight() const override;
    Xapian::PostingSource* clone() const override;
    std::string name() const override { return "airm::DerivedPostingSource"; }

  private:
    [[nodiscard]] Xapian::doccount count() const {
        return static_cast<Xapian::doccount>(postings_.docids.size());
    }
    [[nodiscard]] std::vector<std::string> stems_in(const Xapian::Database& db) const;
    std::string stem_;
    unsigned wildcard_limit_;
    Bm25Params params_;
    Xapian::Database whole_;
    Xapian::Database db_; ///< the shard being searched
    DerivedPostings postings_;
    std::size_t at_ = 0;
    bool started_ = false;
    double term_weight_ = 0;
    double inverse_average_ = 0;
};

} // namespace airm::detail
