#include "query/search/detail/derived_terms.hpp"

#include "engine/schema.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace airm::detail {
namespace {

/// One other field's stem term, walked beside the all-fields stem term.
struct OtherField {
    Xapian::PostingIterator it;
    Xapian::PostingIterator end;
    std::int64_t weight;
};

/// The derived postings of one stem, appended to `out` (in docid order).
void derive_one(const Xapian::Database& db, const std::string& stem,
                std::vector<std::pair<Xapian::docid, Xapian::termcount>>& out) {
    const std::string all = std::string(schema::kStemPrefix) + stem;
    std::vector<OtherField> others;
    for (schema::Field field : schema::kAllFields) {
        if (field == schema::kDerivedField)
            continue;
        const std::string term = schema::field_stem_term(field, stem);
        if (db.get_termfreq(term) == 0)
            continue;
        others.push_back({db.postlist_begin(term), db.postlist_end(term),
                          static_cast<std::int64_t>(schema::field_wdf(field))});
    }
    const auto own_weight = static_cast<std::int64_t>(schema::field_wdf(schema::kDerivedField));
    for (auto it = db.postlist_begin(all), end = db.postlist_end(all); it != end; ++it) {
        const Xapian::docid did = *it;
        std::int64_t rest = it.get_wdf();
        for (OtherField& other : others) {
            if (other.it == other.end)
                continue;
            other.it.skip_to(did);
            if (other.it != other.end && *other.it == did)
                rest -= other.weight * static_cast<std::int64_t>(other.it.get_wdf());
        }
        if (rest >= own_weight)
            out.emplace_back(did, static_cast<Xapian::termcount>(rest / own_weight));
    }
}

} // namespace

DerivedPostings derive_postings(const Xapian::Database& db, const std::vector<std::string>& stems) {
    std::vector<std::pair<Xapian::docid, Xapian::termcount>> all;
    for (const std::string& stem : stems) {
        if (!stem.empty())
            derive_one(db, stem, all);
    }
    if (stems.size() > 1)
        std::sort(all.begin(), all.end());
    DerivedPostings out;
    for (const auto& [did, wdf] : all) {
        if (!out.docids.empty() && out.docids.back() == did) {
            out.wdfs.back() += wdf; // several stems of a wildcard in one record
            continue;
        }
        out.docids.push_back(did);
        out.wdfs.push_back(wdf);
    }
    return out;
}

Xapian::termcount derived_wdf(const Xapian::Document& doc, std::string_view stem) {
    // The record's wdf of each field's stem term: one walk of its sorted term list.
    std::vector<std::pair<std::string, std::int64_t>> wanted;
    wanted.emplace_back(std::string(schema::kStemPrefix) + std::string(stem), -1);
    for (schema::Field field : schema::kAllFields) {
        if (field != schema::kDerivedField)
            wanted.emplace_back(schema::field_stem_term(field, stem), schema::field_wdf(field));
    }
    std::sort(wanted.begin(), wanted.end());
    std::int64_t rest = 0;
    Xapian::TermIterator it = doc.termlist_begin();
    const Xapian::TermIterator end = doc.termlist_end();
    for (const auto& [term, weight] : wanted) {
        it.skip_to(term);
        if (it == end)
            break;
        if (*it != term)
            continue;
        const auto wdf = static_cast<std::int64_t>(it.get_wdf());
        rest += weight < 0 ? wdf : -weight * wdf;
    }
    const auto own_weight = static_cast<std::int64_t>(schema::field_wdf(schema::kDerivedField));
    return rest >= own_weight ? static_cast<Xapian::termcount>(rest / own_weight) : 0;
}

std::vector<std::string> stems_with_prefix(const Xapian::Database& db, std::string_view stem_prefix,
                                           unsigned limit) {
    const std::string prefix = std::string(schema::kStemPrefix) + std::string(stem_prefix);
    std::vector<std::pair<Xapian::doccount, std::string>> found;
    for (auto it = db.allterms_begin(prefix); it != db.allterms_end(prefix); ++it) {
        found.emplace_back(it.get_termfreq(), (*it).substr(schema::kStemPrefix.size()));
    }
    // The most frequent first; equally frequent ones in term order.
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (found.size() > limit)
        found.resize(limit);
    std::vector<std::string> stems;
    for (auto& entry : found)
        stems.push_back(std::move(entry.second));
    return stems;
}

DerivedPostingSource::DerivedPostingSource(std::string stem, unsigned wildcard_limit,
                                           Bm25Params params, Xapian::Database whole)
    : stem_(std::move(stem)), wildcard_limit_(wildcard_limit), params_(params),
      whole_(std::move(whole)) {}

std::vector<std::string> DerivedPostingSource::stems_in(const Xapian::Database& db) const {
    return wildcard_limit_ > 0 ? stems_with_prefix(db, stem_, wildcard_limit_)
                               : std::vector<std::string>{stem_};
}

void DerivedPostingSource::init(const Xapian::Database& db) {
    db_ = db;
    postings_ = derive_postings(db, stems_in(db));
    at_ = 0;
    started_ = false;
    // One shard of several: the weights use the whole database's statistics, as the in-memory
    // matcher's do.
    const bool shard =
        whole_.get_doccount() != db.get_doccount() || whole_.get_lastdocid() != db.get_lastdocid();
    const Xapian::Database& stats = shard ? whole_ : db;
    const double termfreq =
        shard ? static_cast<double>(derive_postings(whole_, stems_in(whole_)).docids.size())
              : static_cast<double>(count());
    const double average = stats.get_avlength();
    inverse_average_ = average > 0 ? 1.0 / average : 0.0;
    term_weight_ =
        termfreq == 0 ? 0.0 : bm25_idf(stats.get_doccount(), termfreq) * (params_.k1 + 1);
    set_maxweight(term_weight_); // wdf / (length factor + wdf) stays below 1
}

void DerivedPostingSource::next(double) {
    if (started_)
        ++at_;
    started_ = true;
}

void DerivedPostingSource::skip_to(Xapian::docid did, double) {
    started_ = true;
    const auto& docids = postings_.docids;
    at_ = static_cast<std::size_t>(
        std::lower_bound(docids.begin() + static_cast<std::ptrdiff_t>(at_), docids.end(), did) -
        docids.begin());
}

double DerivedPostingSource::get_weight() const {
    const double wdf = postings_.wdfs[at_];
    const double length_factor =
        bm25_length_factor(db_.get_doclength(get_docid()), inverse_average_, params_);
    return term_weight_ * (wdf / (length_factor + wdf));
}

Xapian::PostingSource* DerivedPostingSource::clone() const {
    return new DerivedPostingSource(stem_, wildcard_limit_, params_, whole_);
}

} // namespace airm::detail
