#include "query/search/detail/rerank.hpp"

#include "engine/schema.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace airm::detail {

std::vector<Reranked> rerank(std::vector<RerankCandidate> candidates,
                             const RerankOptions& options) {
    std::vector<Reranked> out;
    out.reserve(candidates.size());
    for (const auto& c : candidates) {
        const double factor = options.coordination > 0
                                  ? std::pow(std::clamp(c.coverage, 0.0, 1.0), options.coordination)
                                  : 1.0;
        Reranked r;
        r.did = c.did;
        r.partial = c.partial;
        r.score = c.score * factor;
        r.coordination = r.score - c.score;
        out.push_back(std::move(r));
    }
    auto better = [](const Reranked& a, const Reranked& b) {
        return a.score != b.score ? a.score > b.score : a.did < b.did;
    };
    std::vector<std::size_t> order(out.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return better(out[a], out[b]); });
    if (options.code_prior > 0 && !order.empty() && out[order.front()].score > 0) {
        const double best = out[order.front()].score;
        std::map<std::string, double> share;
        double total = 0;
        for (std::size_t k = 0; k < order.size() && k < options.prior_depth; ++k) {
            total += out[order[k]].score;
            for (const auto& code : candidates[order[k]].codes)
                share[code] += out[order[k]].score;
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
            double most = 0;
            for (const auto& code : candidates[i].codes) {
                auto it = share.find(code);
                if (it != share.end() && it->second > most) {
                    most = it->second;
                    out[i].prior_code = code;
                }
            }
            out[i].prior = options.code_prior * best * most / total;
            out[i].score += out[i].prior;
        }
    }
    std::sort(out.begin(), out.end(), better);
    return out;
}

std::vector<std::string> leaf_codes(std::string_view slot_values) {
    std::vector<std::string> all;
    schema::for_each_value(slot_values, [&](std::string_view v) { all.emplace_back(v); });
    return leaf_codes(std::move(all));
}

std::vector<std::string> leaf_codes(std::vector<std::string> all) {
    std::vector<std::string> out;
    for (const auto& code : all) {
        const bool ancestor = std::any_of(all.begin(), all.end(), [&](const std::string& other) {
            return other.size() > code.size() && other.compare(0, code.size(), code) == 0 &&
                   other[code.size()] == '.';
        });
        if (!ancestor)
            out.push_back(code);
    }
    return out;
}

} // namespace airm::detail
