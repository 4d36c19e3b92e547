#include "fpx/theory/protocol_checks.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "fpx/exact/distributed.hpp"
#include "fpx/exact/parallel.hpp"

namespace fpx {
namespace {

int bit_of(std::uint64_t v, std::size_t i) { return static_cast<int>((v >> i) & 1u); }

struct state_hash {
  std::size_t operator()(const protocol::state& s) const {
    std::size_t h = s.size();
    for (code_t c : s) h = h * 0x9E3779B97F4A7C15ull + std::hash<code_t>{}(c) + (h >> 29);
    return h;
  }
};

// Distinct states numbered in order of first appearance, with one input that reaches each.
struct interned_level {
  std::vector<protocol::state> states;
  std::vector<input_pair> witness;  // (x, y so far)
  std::unordered_map<protocol::state, std::uint32_t, state_hash> ids;

  std::uint32_t add(protocol::state s, input_pair w) {
    auto [it, inserted] = ids.emplace(s, static_cast<std::uint32_t>(states.size()));
    if (inserted) {
      states.push_back(std::move(s));
      witness.push_back(w);
    }
    return it->second;
  }
};

bool equals_bit(const std::optional<rmatrix>& out, bool target) {
  return out && out->rows() == 1 && out->cols() == 1 && (*out)(0, 0) == (target ? 1 : 0);
}

}  // namespace

// --- verification -----------------------------------------------------------------------

verification verify(const protocol& p, const boolean_function& target, std::size_t failure_cap,
                    unsigned threads) {
  if (p.spec().position_order != accumulation::order::left_to_right)
    throw std::invalid_argument("verify: the simulation needs positions summed left to right");
  const split_input& in = p.split();

  // Bob's inputs grouped by his message (one group without max-subtraction).
  std::vector<protocol::message> messages;
  std::vector<std::uint32_t> group_of(in.bob_inputs());
  for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
    auto m = p.bob_message(y);
    auto it = std::find(messages.begin(), messages.end(), m);
    group_of[y] = static_cast<std::uint32_t>(it - messages.begin());
    if (it == messages.end()) messages.push_back(std::move(m));
  }

  // Level 0: Alice's states; then one level per later position, each state stepped once.
  verification result;
  std::vector<interned_level> levels(1);
  std::vector<std::vector<std::uint32_t>> alice_id(messages.size());
  for (std::size_t g = 0; g < messages.size(); ++g) {
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x)
      alice_id[g].push_back(levels[0].add(p.alice_state(x, messages[g]), {x, 0}));
    std::vector<std::uint32_t> ids = alice_id[g];
    std::sort(ids.begin(), ids.end());
    result.alice_states = std::max<std::size_t>(
        result.alice_states,
        static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin()));
  }
  const std::size_t steps = in.length() - in.alice_bits;
  std::vector<std::vector<std::uint32_t>> next(steps);  // next[k][2 * id + bit]
  for (std::size_t k = 0; k < steps; ++k) {
    const bool bob = k < in.bob_bits;
    levels.emplace_back();
    interned_level &from = levels[k], &to = levels[k + 1];
    next[k].resize(2 * from.states.size());
    for (std::uint32_t id = 0; id < from.states.size(); ++id)
      for (int b = 0; b < 2; ++b) {
        if (!bob && b == 1) {
          next[k][2 * id + 1] = next[k][2 * id];
          continue;
        }
        auto [x, y] = from.witness[id];
        if (bob) y |= static_cast<std::uint64_t>(b) << k;
        next[k][2 * id + b] = to.add(p.advance(from.states[id], in.alice_bits + k, b), {x, y});
      }
  }
  // Each final state's output, from the evaluator (checked against the simulated sums).
  // The states are evaluated in units (map_units: on threads, or on the ranks of a run).
  const interned_level& last = levels.back();
  const std::uint64_t per_unit = std::max<std::uint64_t>(1, last.states.size() / 64);
  const auto output_units = map_units(
      last.states.size(), per_unit, threads,
      [&](std::uint64_t lo, std::uint64_t hi) {
        std::vector<std::optional<rmatrix>> part;
        for (std::uint64_t id = lo; id < hi; ++id)
          part.push_back(
              p.checked_output(last.states[id], last.witness[id].first, last.witness[id].second)
                  .exact_output);
        return part;
      },
      [](const std::vector<std::optional<rmatrix>>& part) {
        byte_writer w;
        w.put<std::uint64_t>(part.size());
        for (const auto& m : part) {
          w.put<std::uint8_t>(m.has_value());
          if (!m) continue;
          w.put<std::uint64_t>(static_cast<std::uint64_t>(m->rows()))
              .put<std::uint64_t>(static_cast<std::uint64_t>(m->cols()));
          for (Eigen::Index i = 0; i < m->rows(); ++i)
            for (Eigen::Index k = 0; k < m->cols(); ++k) w.put(to_fraction_string((*m)(i, k)));
        }
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader r(bytes);
        std::vector<std::optional<rmatrix>> part(r.get<std::uint64_t>());
        for (auto& m : part) {
          if (!r.get<std::uint8_t>()) continue;
          const auto rows = static_cast<Eigen::Index>(r.get<std::uint64_t>()),
                     cols = static_cast<Eigen::Index>(r.get<std::uint64_t>());
          m = rmatrix(rows, cols);
          for (Eigen::Index i = 0; i < rows; ++i)
            for (Eigen::Index k = 0; k < cols; ++k) (*m)(i, k) = parse_rational(r.get_string());
        }
        return part;
      });
  std::vector<std::optional<rmatrix>> outputs;
  for (auto& part : output_units)
    for (auto& m : part) outputs.push_back(std::move(m));
  result.final_states = last.states.size();

  struct range_result {
    std::uint64_t failures = 0;
    std::vector<input_pair> failing;
  };
  const std::uint64_t range = std::max<std::uint64_t>(1, in.alice_inputs() / 64);
  const auto parts = map_units(
      in.alice_inputs(), range, threads,
      [&](std::uint64_t lo, std::uint64_t hi) {
        range_result r;
        for (std::uint64_t x = lo; x < hi; ++x)
          for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
            std::uint32_t id = alice_id[group_of[y]][x];
            for (std::size_t k = 0; k < steps; ++k)
              id = next[k][2 * id + (k < in.bob_bits ? bit_of(y, k) : 0)];
            if (!equals_bit(outputs[id], target(x, y))) {
              ++r.failures;
              if (r.failing.size() < failure_cap) r.failing.emplace_back(x, y);
            }
          }
        return r;
      },
      [](const range_result& r) {
        byte_writer w;
        w.put(r.failures).put<std::uint64_t>(r.failing.size());
        for (const auto& [x, y] : r.failing) w.put(x).put(y);
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader rd(bytes);
        range_result r;
        r.failures = rd.get<std::uint64_t>();
        for (auto k = rd.get<std::uint64_t>(); k > 0; --k) {
          const auto x = rd.get<std::uint64_t>();
          r.failing.emplace_back(x, rd.get<std::uint64_t>());
        }
        return r;
      });
  result.pairs = in.alice_inputs() * in.bob_inputs();
  for (const auto& r : parts) {
    result.failures += r.failures;
    for (const auto& f : r.failing)
      if (result.failing.size() < failure_cap) result.failing.push_back(f);
  }
  return result;
}

simulation_check check_simulation(const protocol& p) {
  const split_input& in = p.split();
  simulation_check result;
  std::map<protocol::message, std::vector<protocol::state>> states;
  for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
    const auto m = p.bob_message(y);
    auto [cached, fresh] = states.try_emplace(m);
    if (fresh)
      for (std::uint64_t x = 0; x < in.alice_inputs(); ++x)
        cached->second.push_back(p.alice_state(x, m));
    std::unordered_map<protocol::state, std::pair<std::uint64_t, Eigen::MatrixXd>, state_hash> seen;
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x) {
      Eigen::MatrixXd out = p.evaluate_pair(x, y).output;
      ++result.pairs;
      auto [it, inserted] = seen.emplace(cached->second[x], std::make_pair(x, out));
      if (inserted || result.violation) continue;
      const Eigen::MatrixXd& other = it->second.second;
      const bool same =
          other.rows() == out.rows() && other.cols() == out.cols() &&
          ((other.array() == out.array()) || (other.array().isNaN() && out.array().isNaN())).all();
      if (!same)
        result.violation =
            "Alice inputs " + std::to_string(it->second.first) + " and " + std::to_string(x) +
            " have the same state but different outputs at y=" + std::to_string(y) + " (" +
            std::to_string(other(0, 0)) + " vs " + std::to_string(out(0, 0)) + ")";
    }
    result.alice_states = std::max(result.alice_states, seen.size());
  }
  return result;
}

std::optional<collision_certificate> find_collision(const protocol& p,
                                                    const boolean_function& target) {
  const split_input& in = p.split();
  std::vector<protocol::message> done;
  for (std::uint64_t y0 = 0; y0 < in.bob_inputs(); ++y0) {
    const auto m = p.bob_message(y0);
    if (std::find(done.begin(), done.end(), m) != done.end()) continue;
    done.push_back(m);
    std::vector<std::uint64_t> group;
    for (std::uint64_t y = 0; y < in.bob_inputs(); ++y)
      if (p.bob_message(y) == m) group.push_back(y);
    std::unordered_map<protocol::state, std::vector<std::uint64_t>, state_hash> by_state;
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x)
      by_state[p.alice_state(x, m)].push_back(x);
    // Smallest colliding x first, so the certificate is the same on every run.
    std::vector<std::vector<std::uint64_t>> classes;
    for (auto& [s, xs] : by_state)
      if (xs.size() > 1) classes.push_back(xs);
    std::sort(classes.begin(), classes.end());
    for (const auto& xs : classes)
      for (std::size_t i = 0; i < xs.size(); ++i)
        for (std::size_t j = i + 1; j < xs.size(); ++j)
          for (std::uint64_t y : group) {
            if (target(xs[i], y) == target(xs[j], y)) continue;
            collision_certificate c;
            c.x = xs[i];
            c.x_other = xs[j];
            c.y = y;
            c.target = target(c.x, y);
            c.target_other = target(c.x_other, y);
            const evaluation a = p.evaluate_pair(c.x, y), b = p.evaluate_pair(c.x_other, y);
            if (!a.exact_output || !b.exact_output || !equal(*a.exact_output, *b.exact_output))
              throw std::logic_error(
                  "find_collision: equal states gave different outputs; the "
                  "simulation does not hold for this spec");
            c.output = *a.exact_output;
            c.wrong =
                equals_bit(c.output, c.target) ? input_pair{c.x_other, y} : input_pair{c.x, y};
            return c;
          }
  }
  return std::nullopt;
}

bool counting_bound::rules_out(const communication_bounds& f) const {
  const std::size_t needed = message_bits > 0 ? f.fooling_set.size() : f.rows.count();
  return needed > 0 && total_bits() < std::log2(static_cast<double>(needed));
}

counting_bound simulation_bound(const precision_spec& spec, std::size_t heads,
                                std::size_t value_dim, bool scores_position_only) {
  // The simulation (Alice's state is her part of the sums) needs her positions summed first.
  if (spec.position_order != accumulation::order::left_to_right)
    throw std::invalid_argument(
        "simulation_bound: the bound holds when positions are summed left to right over the layout "
        "x | y | query; this spec sums them in another order (see check_simulation's leak)");
  counting_bound b;
  // A format of b bits has at most 2^b values, whatever they are (NaN and infinities too).
  b.value_bits = spec.format_of(quantity::accumulator).bits();
  b.state_bits =
      static_cast<double>(scores_position_only ? value_dim : heads + value_dim) * b.value_bits;
  if (spec.subtract_max && !scores_position_only)
    b.message_bits = 2.0 * static_cast<double>(heads) * spec.format_of(quantity::logit).bits();
  return b;
}

}  // namespace fpx
