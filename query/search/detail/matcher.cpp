#include "query/search/detail/matcher.hpp"

#include "engine/schema.hpp"
#include "query/search/detail/derived_terms.hpp"
#include "query/search/detail/xapian_query.hpp"

#include <algorithm>
#include <cmath>

namespace airm::detail {

DocLengths DocLengths::load(const Xapian::Database& db) {
    DocLengths out;
    const std::size_t rows = static_cast<std::size_t>(db.get_lastdocid()) + 1;
    out.lengths_.assign(rows, 0);
    out.present_.assign(rows, 0);
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        const Xapian::docid did = *it;
        if (did >= rows)
            continue;
        out.lengths_[did] = static_cast<std::uint32_t>(it.get_doclength());
        out.present_[did] = 1;
    }
    out.average_ = db.get_avlength();
    out.count_ = db.get_doccount();
    return out;
}

double bm25_idf(double doccount, double termfreq) {
    double tw = (doccount - termfreq + 0.5) / (termfreq + 0.5);
    if (tw < 2)
        tw = tw * 0.5 + 1; // Xapian's guard against weights <= 0 for very common terms
    return std::log(tw);
}

void DocLengths::prepare(const Bm25Params& params) {
    const double inverse = inverse_average();
    factors_.resize(lengths_.size());
    for (std::size_t did = 0; did < lengths_.size(); ++did) {
        factors_[did] = bm25_length_factor(lengths_[did], inverse, params);
    }
    params_ = params;
    prepared_ = true;
}

Xapian::doccount TermFreqs::get(const std::string& term) {
    auto it = freqs_.find(term);
    if (it != freqs_.end())
        return it->second;
    if (freqs_.size() >= kMostTerms)
        freqs_.clear();
    const Xapian::doccount n = is_derived(term)
                                   ? static_cast<Xapian::doccount>(derived(term)->docids.size())
                                   : db_->get_termfreq(term);
    freqs_.emplace(term, n);
    return n;
}

std::shared_ptr<const DerivedPostings> TermFreqs::derived(const std::string& term) {
    auto it = derived_.find(term);
    if (it != derived_.end())
        return it->second;
    const std::optional<std::string_view> stem = schema::derived_field_stem(term);
    auto postings = std::make_shared<const DerivedPostings>(
        derive_postings(*db_, {stem ? std::string(*stem) : std::string()}));
    if (derived_postings_ + postings->docids.size() > kMostDerivedPostings) {
        derived_.clear(); // cursors still walking a dropped list share it
        derived_postings_ = 0;
    }
    derived_.emplace(term, postings);
    derived_postings_ += postings->docids.size();
    return postings;
}

namespace {

using Cursor = PostingCursor;
using CursorPtr = std::unique_ptr<PostingCursor>;

/// What every term cursor of one query shares.
struct Scoring {
    const Xapian::Database& db;
    const DocLengths& lengths;
    Bm25Params params;
    double inverse_average;
    TermFreqs* freqs;
    const double* length_factors; ///< DocLengths::length_factors(params), or nullptr

    [[nodiscard]] Xapian::doccount termfreq(const std::string& term) const {
        return freqs != nullptr ? freqs->get(term) : db.get_termfreq(term);
    }
    /// True when `term` is derived rather than held by the index.
    [[nodiscard]] bool is_derived(const std::string& term) const {
        return freqs != nullptr ? freqs->is_derived(term)
                                : schema::derived_field_stem(term).has_value();
    }
    /// The postings of a derived term (schema::derived_field_stem() holds for `term`).
    [[nodiscard]] std::shared_ptr<const DerivedPostings> derived(const std::string& term) const {
        if (freqs != nullptr)
            return freqs->derived(term);
        return std::make_shared<const DerivedPostings>(
            derive_postings(db, {std::string(*schema::derived_field_stem(term))}));
    }
};

/// One term's postings, weighted by BM25 (Xapian's BM25Weight formula). A term of the derived field
/// (schema::kDerivedField) walks its derived postings instead of a posting list.
class TermCursor final : public Cursor {
  public:
    TermCursor(const Scoring& s, const std::string& term, double factor)
        : lengths_(s.lengths), params_(s.params), inverse_average_(s.inverse_average),
          length_factors_(s.length_factors) {
        if (s.is_derived(term)) {
            derived_ = s.derived(term);
            estimate_ = static_cast<Xapian::doccount>(derived_->docids.size());
        } else {
            estimate_ = s.termfreq(term);
        }
        if (estimate_ == 0) {
            did_ = kEnd; // no posting list to open
            return;
        }
        if (!derived_) {
            it_ = s.db.postlist_begin(term);
            end_ = s.db.postlist_end(term);
        }
        if (factor != 0) {
            weight_ = bm25_idf(s.lengths.count(), estimate_) * factor * (params_.k1 + 1);
        }
    }
    void skip_to(Xapian::docid target) override {
        if (target <= did_ && did_ != 0)
            return;
        if (derived_) {
            const auto& docids = derived_->docids;
            at_ = static_cast<std::size_t>(
                std::lower_bound(docids.begin() + static_cast<std::ptrdiff_t>(at_), docids.end(),
                                 target) -
                docids.begin());
            did_ = at_ < docids.size() ? docids[at_] : kEnd;
            return;
        }
        if (did_ == 0 && it_ != end_ && *it_ >= target) {
            did_ = *it_;
            return;
        }
        if (did_ != 0 && target == did_ + 1)
            ++it_; // the next posting: a plain step
        else
            it_.skip_to(target);
        did_ = it_ == end_ ? kEnd : *it_;
    }
    double score() const override {
        if (weight_ == 0)
            return 0;
        const double wdf = derived_ ? derived_->wdfs[at_] : it_.get_wdf();
        const double denom = length_factor() + wdf;
        return denom > 0 ? weight_ * (wdf / denom) : 0;
    }
    double presence() const override {
        if (weight_ == 0)
            return 0;
        return weight_ / (params_.k1 + 1.0);
    }
    Xapian::doccount estimate() const override { return estimate_; }

  private:
    /// k1 * (normalised length * b + (1 - b)) of the current record (see DocLengths::prepare()).
    [[nodiscard]] double length_factor() const {
        if (length_factors_ != nullptr && did_ < lengths_.rows())
            return length_factors_[did_];
        return bm25_length_factor(lengths_.length(did_), inverse_average_, params_);
    }
    Xapian::PostingIterator it_;
    Xapian::PostingIterator end_;
    std::shared_ptr<const DerivedPostings> derived_; ///< for a derived term, instead of it_
    std::size_t at_ = 0;                             ///< the current one of derived_
    const DocLengths& lengths_;
    Bm25Params params_;
    double inverse_average_;
    const double* length_factors_;
    double weight_ = 0;
    Xapian::doccount estimate_ = 0;
};

class NothingCursor : public Cursor {
  public:
    NothingCursor() { did_ = kEnd; }
    void skip_to(Xapian::docid) override {}
    double score() const override { return 0; }
    double presence() const override { return 0; }
    Xapian::doccount estimate() const override { return 0; }
};

class AllCursor : public Cursor {
  public:
    explicit AllCursor(const DocLengths& lengths) : lengths_(lengths) {}
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        Xapian::docid d = std::max<Xapian::docid>(target, 1);
        while (d <= lengths_.last() && !lengths_.exists(d))
            ++d;
        did_ = d <= lengths_.last() ? d : kEnd;
    }
    double score() const override { return 0; }
    double presence() const override { return 0; }
    Xapian::doccount estimate() const override { return lengths_.count(); }

  private:
    const DocLengths& lengths_;
};

/// Every child at the same docid; weights add up.
class AndCursor : public Cursor {
  public:
    explicit AndCursor(std::vector<CursorPtr> kids) : kids_(std::move(kids)) {
        std::stable_sort(kids_.begin(), kids_.end(), [](const CursorPtr& a, const CursorPtr& b) {
            return a->estimate() < b->estimate();
        });
    }
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        did_ = align(std::max<Xapian::docid>(target, 1));
    }
    double score() const override {
        double s = 0;
        for (const auto& k : kids_)
            s += k->score();
        return s;
    }
    double presence() const override {
        double s = 0;
        for (const auto& k : kids_)
            s += k->presence();
        return s;
    }
    Xapian::doccount estimate() const override {
        return kids_.empty() ? 0 : kids_.front()->estimate();
    }

  protected:
    /// The first docid >= target where every child matches.
    Xapian::docid align(Xapian::docid target) {
        while (true) {
            kids_.front()->skip_to(target);
            target = kids_.front()->doc();
            if (target == kEnd)
                return kEnd;
            bool all = true;
            for (std::size_t i = 1; i < kids_.size(); ++i) {
                kids_[i]->skip_to(target);
                if (kids_[i]->doc() != target) {
                    target = kids_[i]->doc();
                    if (target == kEnd)
                        return kEnd;
                    all = false;
                    break;
                }
            }
            if (all)
                return target;
        }
    }
    std::vector<CursorPtr> kids_;
};

/// Collects the docids of every match (one database: they are the database's docids).
class DocidSpy : public Xapian::MatchSpy {
  public:
    explicit DocidSpy(std::vector<Xapian::docid>& out) : out_(out) {}
    void operator()(const Xapian::Document& doc, double) override {
        out_.push_back(doc.get_docid());
    }

  private:
    std::vector<Xapian::docid>& out_;
};

/// The terms of a phrase at consecutive positions. Which records hold the phrase is asked of Xapian
/// once (unweighted, so it reads no document lengths; its phrase matcher reads positions far faster
/// than one position list at a time); the weight is the sum of the terms' weights, as in Xapian.
class PhraseCursor : public Cursor {
  public:
    PhraseCursor(const Xapian::Database& db, const QNode& phrase, std::vector<CursorPtr> terms)
        : terms_(std::move(terms)) {
        Xapian::Enquire enquire(db);
        enquire.set_query(to_xapian(phrase));
        enquire.set_weighting_scheme(Xapian::BoolWeight());
        enquire.set_docid_order(Xapian::Enquire::ASCENDING);
        DocidSpy spy(docs_);
        enquire.add_matchspy(&spy);
        (void)enquire.get_mset(0, 0, db.get_doccount());
        std::sort(docs_.begin(), docs_.end());
    }
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        at_ = static_cast<std::size_t>(
            std::lower_bound(docs_.begin() + static_cast<std::ptrdiff_t>(at_), docs_.end(),
                             target) -
            docs_.begin());
        did_ = at_ < docs_.size() ? docs_[at_] : kEnd;
        if (did_ != kEnd) {
            for (auto& t : terms_)
                t->skip_to(did_);
        }
    }
    double score() const override {
        double s = 0;
        for (const auto& t : terms_) {
            if (t->doc() == did_)
                s += t->score();
        }
        return s;
    }
    double presence() const override {
        double s = 0;
        for (const auto& t : terms_) {
            if (t->doc() == did_)
                s += t->presence();
        }
        return s;
    }
    Xapian::doccount estimate() const override {
        return static_cast<Xapian::doccount>(docs_.size());
    }

  private:
    std::vector<CursorPtr> terms_;
    std::vector<Xapian::docid> docs_;
    std::size_t at_ = 0;
};

/// Any child; the weights of those at the current docid add up.
class OrCursor : public Cursor {
  public:
    explicit OrCursor(std::vector<CursorPtr> kids) : kids_(std::move(kids)) {}
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        target = std::max<Xapian::docid>(target, 1);
        Xapian::docid low = kEnd;
        for (auto& k : kids_) {
            if (k->doc() < target)
                k->skip_to(target);
            low = std::min(low, k->doc());
        }
        did_ = low;
    }
    double score() const override {
        double s = 0;
        for (const auto& k : kids_) {
            if (k->doc() == did_)
                s += k->score();
        }
        return s;
    }
    double presence() const override {
        double s = 0;
        for (const auto& k : kids_) {
            if (k->doc() == did_)
                s += k->presence();
        }
        return s;
    }
    Xapian::doccount estimate() const override {
        Xapian::doccount n = 0;
        for (const auto& k : kids_)
            n += k->estimate();
        return n;
    }

  private:
    std::vector<CursorPtr> kids_;
};

/// The first child where none of the others matches; the first child's weight.
class AndNotCursor : public Cursor {
  public:
    AndNotCursor(CursorPtr left, CursorPtr right)
        : left_(std::move(left)), right_(std::move(right)) {}
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        Xapian::docid d = std::max<Xapian::docid>(target, 1);
        while (true) {
            left_->skip_to(d);
            d = left_->doc();
            if (d == kEnd)
                break;
            right_->skip_to(d);
            if (right_->doc() != d)
                break;
            ++d;
        }
        did_ = d;
    }
    double score() const override { return left_->score(); }
    double presence() const override { return left_->presence(); }
    Xapian::doccount estimate() const override { return left_->estimate(); }

  private:
    CursorPtr left_;
    CursorPtr right_;
};

/// The first child; the others add their weight where they match too. The others are looked up
/// only when a match is scored, so they cost nothing for candidates that never become matches.
class AndMaybeCursor : public Cursor {
  public:
    AndMaybeCursor(CursorPtr left, CursorPtr right)
        : left_(std::move(left)), right_(std::move(right)),
          left_term_(dynamic_cast<TermCursor*>(left_.get())),
          right_term_(dynamic_cast<TermCursor*>(right_.get())) {}
    void skip_to(Xapian::docid target) override {
        if (did_ == kEnd || (target <= did_ && did_ != 0))
            return;
        target = std::max<Xapian::docid>(target, 1);
        if (left_term_ != nullptr) {
            left_term_->skip_to(target);
        } else {
            left_->skip_to(target);
        }
        did_ = left_->doc();
    }
    double score() const override {
        // A word and its title occurrences (two terms) is the commonest shape: called directly.
        if (left_term_ != nullptr && right_term_ != nullptr) {
            const double left = left_term_->score();
            right_term_->skip_to(did_);
            return left + (right_term_->doc() == did_ ? right_term_->score() : 0.0);
        }
        return left_->score() + (right_here() ? right_->score() : 0.0);
    }
    double presence() const override {
        return left_->presence() + (right_here() ? right_->presence() : 0.0);
    }
    Xapian::doccount estimate() const override { return left_->estimate(); }

  private:
    bool right_here() const {
        right_->skip_to(did_); // scores are asked in docid order
        return right_->doc() == did_;
    }
    CursorPtr left_;
    CursorPtr right_;
    TermCursor* left_term_;  ///< left_ when it is a term (its calls then need no dispatch)
    TermCursor* right_term_; ///< right_ when it is a term
};

CursorPtr build(const QNode& node, double factor, const Scoring& s) {
    switch (node.op) {
    case QOp::term:
        return std::make_unique<TermCursor>(s, node.term, factor);
    case QOp::match_all:
        return std::make_unique<AllCursor>(s.lengths);
    case QOp::match_nothing:
        return std::make_unique<NothingCursor>();
    case QOp::scale:
        return build(node.kids.front(), factor * node.factor, s);
    case QOp::and_:
    case QOp::filter: {
        std::vector<CursorPtr> kids;
        for (std::size_t i = 0; i < node.kids.size(); ++i) {
            kids.push_back(build(node.kids[i], node.op == QOp::filter && i > 0 ? 0.0 : factor, s));
        }
        return std::make_unique<AndCursor>(std::move(kids));
    }
    case QOp::or_: {
        std::vector<CursorPtr> kids;
        for (const auto& k : node.kids)
            kids.push_back(build(k, factor, s));
        return std::make_unique<OrCursor>(std::move(kids));
    }
    case QOp::and_maybe: {
        // Unweighted (right of AND_NOT, a filter, a zero scale): it matches where its first part
        // does, and every weight below is 0, so the optional parts need no posting lists.
        if (factor == 0)
            return build(node.kids.front(), factor, s);
        std::vector<CursorPtr> rest;
        for (std::size_t i = 1; i < node.kids.size(); ++i)
            rest.push_back(build(node.kids[i], factor, s));
        CursorPtr right = rest.size() == 1 ? std::move(rest.front())
                                           : std::make_unique<OrCursor>(std::move(rest));
        return std::make_unique<AndMaybeCursor>(build(node.kids.front(), factor, s),
                                                std::move(right));
    }
    case QOp::and_not: {
        std::vector<CursorPtr> rest;
        for (std::size_t i = 1; i < node.kids.size(); ++i)
            rest.push_back(build(node.kids[i], 0.0, s));
        CursorPtr right = rest.size() == 1 ? std::move(rest.front())
                                           : std::make_unique<OrCursor>(std::move(rest));
        return std::make_unique<AndNotCursor>(build(node.kids.front(), factor, s),
                                              std::move(right));
    }
    case QOp::phrase: {
        // The term cursors only weigh the matches: unweighted, the phrase needs none of them.
        std::vector<CursorPtr> terms;
        for (const auto& k : node.kids) {
            if (factor != 0)
                terms.push_back(std::make_unique<TermCursor>(s, k.term, factor));
        }
        return std::make_unique<PhraseCursor>(s.db, node, std::move(terms));
    }
    case QOp::synonym:
    case QOp::wildcard:
    case QOp::value_range:
    case QOp::value_weights:
        break; // runs_in_memory() keeps these away
    }
    return std::make_unique<NothingCursor>();
}

} // namespace

Matcher::Matcher(const Xapian::Database& db, const DocLengths& lengths, Bm25Params params,
                 const QNode& query, TermFreqs* freqs) {
    const Scoring s{
        db, lengths, params, lengths.inverse_average(), freqs, lengths.length_factors(params)};
    root_ = build(query, 1.0, s);
    if (s.length_factors != nullptr) {
        length_factors_ = s.length_factors;
        factor_rows_ = lengths.rows();
    }
}

Matcher::~Matcher() = default;

double Matcher::score_of(Xapian::docid did) {
    root_->skip_to(did);
    return root_->doc() == did ? root_->score() : 0.0;
}

bool Matcher::matches(Xapian::docid did) {
    root_->skip_to(did);
    return root_->doc() == did;
}

} // namespace airm::detail
