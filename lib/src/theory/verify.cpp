#include "fpx/theory/verify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/exact/distributed.hpp"

namespace fpx {

using Eigen::Index;

// --- input spaces ---------------------------------------------------------------------------

input_space input_space::sequences(int vocabulary, int length) {
  if (vocabulary < 1 || length < 1)
    throw std::invalid_argument(
        fmt::format("input_space::sequences: vocabulary {} and length {} must be positive",
                    vocabulary, length));
  input_space s;
  s.kind_ = kind::sequences;
  s.vocabulary_ = vocabulary;
  s.length_ = length;
  long double size = 1;
  for (int i = 0; i < length; ++i) size *= vocabulary;
  if (size > static_cast<long double>(std::uint64_t{1} << 62))
    throw std::invalid_argument(fmt::format(
        "input_space::sequences: {}^{} inputs are too many to number", vocabulary, length));
  s.size_ = static_cast<std::uint64_t>(size);
  return s;
}

input_space input_space::bit_strings(std::vector<int> widths) {
  int total = 0;
  for (int w : widths) {
    if (w < 1) throw std::invalid_argument("input_space::bit_strings: widths must be positive");
    total += w;
  }
  if (widths.empty() || total > 62)
    throw std::invalid_argument(
        fmt::format("input_space::bit_strings: {} bits in all; 1 to 62 are numbered", total));
  input_space s;
  s.kind_ = kind::bits;
  s.vocabulary_ = 2;
  s.length_ = total;
  s.widths_ = std::move(widths);
  s.size_ = std::uint64_t{1} << total;
  return s;
}

input_space input_space::token_list(std::vector<std::vector<int>> sequences) {
  input_space s;
  s.kind_ = kind::tokens;
  for (const auto& seq : sequences) {
    if (seq.empty()) throw std::invalid_argument("input_space::token_list: a sequence has no tokens");
    for (int t : seq) {
      if (t < 0) throw std::invalid_argument("input_space::token_list: tokens are non-negative");
      s.vocabulary_ = std::max(s.vocabulary_, t + 1);
    }
  }
  s.size_ = sequences.size();
  s.lists_ = std::move(sequences);
  return s;
}

input_space input_space::vector_list(std::vector<rvector> vectors) {
  input_space s;
  s.kind_ = kind::vectors;
  s.size_ = vectors.size();
  s.vectors_ = std::move(vectors);
  return s;
}

std::vector<int> input_space::tokens(std::uint64_t k) const {
  if (k >= size_) throw std::out_of_range(fmt::format("input_space: input {} of {}", k, size_));
  switch (kind_) {
    case kind::sequences: {
      std::vector<int> t(static_cast<std::size_t>(length_));
      for (int i = length_ - 1; i >= 0; --i) {
        t[static_cast<std::size_t>(i)] =
            static_cast<int>(k % static_cast<std::uint64_t>(vocabulary_));
        k /= static_cast<std::uint64_t>(vocabulary_);
      }
      return t;
    }
    case kind::bits: {
      std::vector<int> t(static_cast<std::size_t>(length_));
      for (int i = length_ - 1; i >= 0; --i, k >>= 1)
        t[static_cast<std::size_t>(i)] = static_cast<int>(k & 1);
      return t;
    }
    case kind::tokens:
      return lists_[k];
    case kind::vectors:
      break;
  }
  throw std::invalid_argument("input_space: " + name() + " holds vectors, not token sequences");
}

rvector input_space::vector(std::uint64_t k) const {
  if (kind_ == kind::vectors) {
    if (k >= size_) throw std::out_of_range(fmt::format("input_space: input {} of {}", k, size_));
    return vectors_[k];
  }
  const std::vector<int> t = tokens(k);
  rvector v(static_cast<Index>(t.size()));
  for (std::size_t i = 0; i < t.size(); ++i) v(static_cast<Index>(i)) = t[i];
  return v;
}

std::string input_space::describe(std::uint64_t k) const {
  if (kind_ == kind::vectors) {
    const rvector& v = vectors_.at(k);
    std::string text = "[";
    for (Index i = 0; i < v.size(); ++i) text += (i ? ", " : "") + to_fraction_string(v(i));
    return text + "]";
  }
  const std::vector<int> t = tokens(k);
  std::string text;
  for (std::size_t i = 0; i < t.size(); ++i) text += (i ? " " : "") + std::to_string(t[i]);
  return text;
}

std::string input_space::name() const {
  switch (kind_) {
    case kind::sequences:
      return fmt::format("sequences({}, {})", vocabulary_, length_);
    case kind::bits:
      return fmt::format("bit_strings({})", fmt::join(widths_, ", "));
    case kind::tokens:
      return fmt::format("token_list({})", size_);
    case kind::vectors:
      return fmt::format("vector_list({})", size_);
  }
  return "?";
}

// --- tasks -----------------------------------------------------------------------------------

namespace {

struct named {
  const char* name;
  bool every_position;
  const char* meaning;
  std::vector<rational> (*expected)(const input_space&, std::uint64_t);
};

std::vector<int> tokens_for(const input_space& s, std::uint64_t k, const char* task) {
  if (!s.has_tokens())
    throw std::invalid_argument(std::string("task ") + task + " needs token sequences, not " +
                                s.name());
  return s.tokens(k);
}

rational truth(bool b) { return b ? 1 : 0; }

std::size_t nonzero(const std::vector<int>& t) {
  return static_cast<std::size_t>(std::count_if(t.begin(), t.end(), [](int x) { return x != 0; }));
}

const named named_tasks[] = {
    {"equality", false,
     "1 if the two halves (bit strings: the first two strings) are equal, else 0",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "equality");
       std::size_t half = t.size() / 2;
       if (s.widths().size() >= 2) {
         if (s.widths()[0] != s.widths()[1])
           throw std::invalid_argument("task equality compares two bit strings of one width");
         half = static_cast<std::size_t>(s.widths()[0]);
       } else if (t.size() % 2 != 0) {
         throw std::invalid_argument("task equality needs sequences of even length (two halves)");
       }
       return std::vector<rational>{
           truth(std::equal(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(half),
                            t.begin() + static_cast<std::ptrdiff_t>(half)))};
     }},
    {"first_equals_last", false, "1 if t_0 = t_{n-1}, else 0",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "first_equals_last");
       return std::vector<rational>{truth(t.front() == t.back())};
     }},
    {"parity", false, "the number of nonzero tokens, mod 2",
     [](const input_space& s, std::uint64_t k) {
       return std::vector<rational>{
           rational(static_cast<long>(nonzero(tokens_for(s, k, "parity")) % 2))};
     }},
    {"majority", false, "1 if more than half the tokens are nonzero, else 0",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "majority");
       return std::vector<rational>{truth(2 * nonzero(t) > t.size())};
     }},
    {"membership", false, "1 if t_{n-1} occurs among t_0 .. t_{n-2}, else 0",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "membership");
       return std::vector<rational>{
           truth(std::find(t.begin(), t.end() - 1, t.back()) != t.end() - 1)};
     }},
    {"counting", false, "the number of occurrences of t_{n-1} in the sequence",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "counting");
       return std::vector<rational>{
           rational(static_cast<long>(std::count(t.begin(), t.end(), t.back())))};
     }},
    {"copy", true, "at each position i, t_i",
     [](const input_space& s, std::uint64_t k) {
       const auto t = tokens_for(s, k, "copy");
       return std::vector<rational>(t.begin(), t.end());
     }},
    {"sorting", true, "at each position i, the i-th smallest token",
     [](const input_space& s, std::uint64_t k) {
       auto t = tokens_for(s, k, "sorting");
       std::sort(t.begin(), t.end());
       return std::vector<rational>(t.begin(), t.end());
     }},
};

}  // namespace

task named_task(std::string_view name) {
  for (const auto& n : named_tasks)
    if (name == n.name) return {n.name, n.every_position, n.expected};
  throw std::invalid_argument("unknown task '" + std::string(name) + "' (" + task_grammar() + ")");
}

std::vector<std::string> task_names() {
  std::vector<std::string> v;
  for (const auto& n : named_tasks) v.emplace_back(n.name);
  return v;
}

std::string task_grammar() {
  std::string text;
  for (const auto& n : named_tasks)
    text += fmt::format("{}{} ({}{})", text.empty() ? "" : "; ", n.name, n.meaning,
                        n.every_position ? ", read at every position" : "");
  return text;
}

task table_task(std::vector<std::vector<rational>> expected, bool every_position,
                std::string name) {
  auto table = std::make_shared<const std::vector<std::vector<rational>>>(std::move(expected));
  return {std::move(name), every_position, [table](const input_space& s, std::uint64_t k) {
            if (table->size() != s.size())
              throw std::invalid_argument(fmt::format("the task's table has {} rows for {} inputs",
                                                      table->size(), s.size()));
            return (*table)[k];
          }};
}

// --- readouts --------------------------------------------------------------------------------

readout readout::parse(std::string_view text) {
  const auto eq = text.find('=');
  const std::string_view head = text.substr(0, eq);
  readout r;
  if (head == "exact")
    r.how = kind::exact;
  else if (head == "argmax")
    r.how = kind::argmax;
  else if (head == "sign")
    r.how = kind::sign;
  else if (head == "threshold")
    r.how = kind::threshold;
  else if (head == "tolerance")
    r.how = kind::tolerance;
  else
    throw std::invalid_argument("unknown readout '" + std::string(text) + "' (" +
                                readout_grammar() + ")");
  const bool takes = r.how == kind::threshold || r.how == kind::tolerance;
  if (takes != (eq != std::string_view::npos))
    throw std::invalid_argument(
        "readout '" + std::string(text) +
        "': " + (takes ? "needs a value (threshold=T, tolerance=E)" : "takes no value"));
  if (takes) {
    r.parameter = parse_rational(text.substr(eq + 1));
    if (r.how == kind::tolerance && r.parameter < 0)
      throw std::invalid_argument("readout '" + std::string(text) +
                                  "': a tolerance is not negative");
  }
  return r;
}

std::string readout_grammar() {
  return "exact (the one output equals the expected value), argmax (the unique largest output's "
         "index is the "
         "expected class), sign (expected 1 iff the output is > 0), threshold=T (expected 1 iff "
         "the output is >= T), "
         "tolerance=E (abs(output - expected) <= E); T and E exact (1/2, 0.25)";
}

std::string readout::name() const {
  switch (how) {
    case kind::exact:
      return "exact";
    case kind::argmax:
      return "argmax";
    case kind::sign:
      return "sign";
    case kind::threshold:
      return "threshold=" + to_fraction_string(parameter);
    case kind::tolerance:
      return "tolerance=" + to_fraction_string(parameter);
  }
  return "?";
}

bool readout::correct(const std::optional<std::vector<rational>>& row,
                      const rational& expected) const {
  if (!row || row->empty()) return false;
  const auto& y = *row;
  if (how != kind::argmax && y.size() != 1)
    throw std::invalid_argument(fmt::format(
        "readout {} reads one output, and the network has {} (use argmax)", name(), y.size()));
  switch (how) {
    case kind::exact:
      return y[0] == expected;
    case kind::argmax: {
      const auto best = std::max_element(y.begin(), y.end());
      if (std::count(y.begin(), y.end(), *best) != 1) return false;  // a tie reads as no class
      return rational(static_cast<long>(best - y.begin())) == expected;
    }
    case kind::sign:
      return truth(y[0] > 0) == expected;
    case kind::threshold:
      return truth(y[0] >= parameter) == expected;
    case kind::tolerance:
      return abs(y[0] - expected) <= parameter;
  }
  return false;
}

// --- checks ----------------------------------------------------------------------------------

void task_check::merge(const task_check& next, std::size_t max_counterexamples) {
  if (next.begin != end)
    throw std::invalid_argument(fmt::format(
        "task_check::merge: the next range starts at {}, this one ends at {}", next.begin, end));
  end = next.end;
  checked += next.checked;
  wrong += next.wrong;
  for (const auto& [key, counts] : next.by_class) {
    by_class[key].checked += counts.checked;
    by_class[key].wrong += counts.wrong;
  }
  for (const auto& c : next.counterexamples)
    if (counterexamples.size() < max_counterexamples) counterexamples.push_back(c);
}

namespace {

// The rows a check reads: every position's outputs, or the last position's; none when the
// output is not exact (NaN, an infinity, float64 arithmetic).
std::vector<std::optional<std::vector<rational>>> read_rows(const evaluation& e,
                                                            bool every_position, bool is_mlp) {
  std::vector<std::optional<std::vector<rational>>> rows;
  if (is_mlp) {  // outputs x 1: one row
    std::optional<std::vector<rational>> row;
    if (e.exact_output) {
      row.emplace();
      for (Index i = 0; i < e.exact_output->rows(); ++i) row->push_back((*e.exact_output)(i, 0));
    }
    rows.push_back(std::move(row));
    return rows;
  }
  const Index n = e.output.rows();
  for (Index i = every_position ? 0 : n - 1; i < n; ++i) {
    std::optional<std::vector<rational>> row;
    if (e.exact_output) {
      row.emplace();
      for (Index c = 0; c < e.exact_output->cols(); ++c) row->push_back((*e.exact_output)(i, c));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

struct checker {
  const network& model;
  const task& t;
  const input_space& space;
  const readout& r;
  const verify_options& options;
  evaluator evaluate;
  bool is_mlp;

  checker(const network& m, const precision_spec& spec, const task& tk, const input_space& s,
          const readout& rd, const verify_options& o)
      : model(m),
        t(tk),
        space(s),
        r(rd),
        options(o),
        evaluate(std::visit([&](const auto& x) { return evaluator(x, spec); }, m)),
        is_mlp(std::holds_alternative<mlp>(m)) {}

  evaluation run(std::uint64_t k, const evaluation_options& o) const {
    if (is_mlp) return evaluate(space.vector(k), o);
    return evaluate(std::span<const int>(space.tokens(k)), o);
  }

  evaluation_options options_for(std::uint64_t k, bool trace) const {
    evaluation_options o;
    o.trace = trace;
    o.last_position_only = !is_mlp && !t.every_position;
    o.first_site = options.first_site + k * batch_site_stride;
    return o;
  }

  // Checks input k into `out`; a wrong one becomes a counterexample while there is room.
  void check(std::uint64_t k, task_check& out) const {
    const std::vector<rational> expected = t.expected(space, k);
    counterexample c;
    bool ok = true;
    try {
      const evaluation e = run(k, options_for(k, false));
      const auto rows = read_rows(e, t.every_position, is_mlp);
      if (rows.size() != expected.size())
        throw std::invalid_argument(fmt::format(
            "task {} expects {} values for input {}, the network is read at {} positions", t.name,
            expected.size(), k, rows.size()));
      for (std::size_t i = 0; i < rows.size(); ++i) ok = ok && r.correct(rows[i], expected[i]);
      if (!ok) c.output = e.exact_output;  // (kept for counterexamples only)
    } catch (const std::domain_error& e) {  // NaN where a format has none: the input is wrong
      ok = false;
      c.error = e.what();
    } catch (const std::overflow_error& e) {  // overflow under the `error` policy
      ok = false;
      c.error = e.what();
    }
    ++out.checked;
    auto& counts = out.by_class[expected.empty() ? "" : to_fraction_string(expected.back())];
    ++counts.checked;
    if (ok) return;
    ++out.wrong;
    ++counts.wrong;
    if (out.counterexamples.size() < options.max_counterexamples) {
      c.index = k;
      c.input = space.describe(k);
      c.expected = expected;
      out.counterexamples.push_back(std::move(c));
    }
  }

  // The counterexample traced under the spec and in exact arithmetic, and where they part.
  void trace(counterexample& c, const precision_spec& spec) const {
    if (!c.error.empty()) return;
    c.traced = run(c.index, options_for(c.index, true));
    const auto exact = std::visit(
        [&](const auto& m) -> evaluation {
          const evaluator exact_eval(m, spec.with_arithmetic(arithmetic::exact));
          evaluation_options o = options_for(c.index, true);
          if (is_mlp) return exact_eval(space.vector(c.index), o);
          return exact_eval(std::span<const int>(space.tokens(c.index)), o);
        },
        model);
    c.first_divergence = fpx::first_divergence(*c.traced, exact);
  }
};

void check_fits(const network& model, const input_space& space) {
  if (const auto* m = std::get_if<mlp>(&model)) {
    if (space.size() == 0) return;
    const auto width = space.vector(0).size();
    if (width != m->inputs())
      throw std::invalid_argument(
          fmt::format("verify: the inputs of {} have {} entries, the MLP takes {}", space.name(),
                      width, m->inputs()));
    return;
  }
  const auto& t = std::get<transformer>(model);
  if (!space.has_tokens())
    throw std::invalid_argument("verify: a transformer takes token sequences, not " + space.name());
  if (t.token_embedding.size() == 0)
    throw std::invalid_argument("verify: the transformer has no token embedding");
  if (space.vocabulary() > t.token_embedding.rows())
    throw std::invalid_argument(
        fmt::format("verify: {} uses tokens up to {}, the model's vocabulary has {}", space.name(),
                    space.vocabulary() - 1, t.token_embedding.rows()));
}

}  // namespace

namespace {

// A unit's check as bytes (map_units): counts, classes and counterexamples, exact values as text.
std::string encode_check(const task_check& c) {
  byte_writer w;
  w.put(c.begin).put(c.end).put(c.checked).put(c.wrong).put<std::uint64_t>(c.by_class.size());
  for (const auto& [key, counts] : c.by_class) w.put(key).put(counts.checked).put(counts.wrong);
  w.put<std::uint64_t>(c.counterexamples.size());
  for (const auto& ce : c.counterexamples) {
    w.put(ce.index).put(ce.input).put(ce.error).put<std::uint64_t>(ce.expected.size());
    for (const auto& x : ce.expected) w.put(to_fraction_string(x));
    w.put<std::uint8_t>(ce.output.has_value());
    if (ce.output) {
      w.put<std::uint64_t>(static_cast<std::uint64_t>(ce.output->rows()))
          .put<std::uint64_t>(static_cast<std::uint64_t>(ce.output->cols()));
      for (Index i = 0; i < ce.output->rows(); ++i)
        for (Index k = 0; k < ce.output->cols(); ++k) w.put(to_fraction_string((*ce.output)(i, k)));
    }
  }
  return w.take();
}

task_check decode_check(const std::string& bytes) {
  byte_reader r(bytes);
  task_check c;
  c.begin = r.get<std::uint64_t>();
  c.end = r.get<std::uint64_t>();
  c.checked = r.get<std::uint64_t>();
  c.wrong = r.get<std::uint64_t>();
  for (auto n = r.get<std::uint64_t>(); n > 0; --n) {
    const std::string key = r.get_string();
    auto& counts = c.by_class[key];
    counts.checked = r.get<std::uint64_t>();
    counts.wrong = r.get<std::uint64_t>();
  }
  for (auto n = r.get<std::uint64_t>(); n > 0; --n) {
    counterexample ce;
    ce.index = r.get<std::uint64_t>();
    ce.input = r.get_string();
    ce.error = r.get_string();
    for (auto k = r.get<std::uint64_t>(); k > 0; --k)
      ce.expected.push_back(parse_rational(r.get_string()));
    if (r.get<std::uint8_t>()) {
      const auto rows = static_cast<Index>(r.get<std::uint64_t>()),
                 cols = static_cast<Index>(r.get<std::uint64_t>());
      rmatrix m(rows, cols);
      for (Index i = 0; i < rows; ++i)
        for (Index k = 0; k < cols; ++k) m(i, k) = parse_rational(r.get_string());
      ce.output = std::move(m);
    }
    c.counterexamples.push_back(std::move(ce));
  }
  return c;
}

}  // namespace

task_check verify(const network& model, const precision_spec& spec, const task& t,
                  const input_space& space, const readout& r, const verify_options& options) {
  check_fits(model, space);
  const checker c(model, spec, t, space, r, options);
  const std::uint64_t begin = std::min(options.begin, space.size());
  const std::uint64_t end = std::min(options.end, space.size());
  if (end < begin) throw std::invalid_argument("verify: the range ends before it begins");
  const std::uint64_t unit = std::max<std::uint64_t>(options.unit, 1);
  std::vector<task_check> units = map_units(
      end - begin, unit, options.threads,
      [&](std::uint64_t lo, std::uint64_t hi) {
        task_check part;
        part.begin = begin + lo;
        part.end = begin + hi;
        for (std::uint64_t k = begin + lo; k < begin + hi; ++k) c.check(k, part);
        return part;
      },
      encode_check, decode_check);
  task_check out;
  out.begin = out.end = begin;
  for (const auto& part : units) out.merge(part, options.max_counterexamples);
  if (options.trace_counterexamples)
    for (auto& ce : out.counterexamples) c.trace(ce, spec);
  return out;
}

// --- intervals -------------------------------------------------------------------------------

interval_check verify_interval(const mlp& model, const precision_spec& spec,
                               const target_function& f, const rational& low, const rational& high,
                               unsigned threads) {
  if (model.inputs() != 1 || model.outputs() != 1 || f.inputs != 1)
    throw std::invalid_argument(
        "verify_interval: a network of one input and one output against a one-input target");
  if (!(low < high))
    throw std::invalid_argument("verify_interval: the interval must have low < high");
  if (spec.arithmetic != arithmetic::rounded)
    throw std::invalid_argument(
        "verify_interval: rounded arithmetic only (the input takes finitely many values); "
        "for exact arithmetic certify the network (theory/approximation.hpp)");
  if (spec.rule.mode == round_mode::stochastic)
    throw std::invalid_argument(
        "verify_interval: a stochastic rule gives each input many values; use a deterministic one");
  if (!(f.lipschitz > 0))
    throw std::invalid_argument(
        "verify_interval: the target needs a Lipschitz constant on the interval");
  const auto names = target_names();
  if (std::find(names.begin(), names.end(), f.name) != names.end() && (low < 0 || high > 1))
    throw std::invalid_argument(
        "verify_interval: the named targets' Lipschitz constants hold on [0, 1]");
  const format& in = spec.format_of(quantity::activation);
  // The values the inputs of [low, high] round to: from the rounding of low down to that of
  // high up (every mode rounds to a neighbour), as codes of increasing value.
  const code_t first = from_rational(in, low, {round_mode::down}),
               last = from_rational(in, high, {round_mode::up});
  const auto value_of = [&](code_t c) { return to_rational(in, c); };
  const rational first_value = value_of(first), last_value = value_of(last);
  std::vector<code_t> codes;
  for (code_t c : finite_codes(in)) {
    const rational v = value_of(c);
    if (v >= first_value && v <= last_value) codes.push_back(c);
  }
  if (codes.empty())
    throw std::invalid_argument("verify_interval: no value of " + in.name() + " near the interval");
  const bool nearest = spec.rule.mode == round_mode::rne || spec.rule.mode == round_mode::rna;
  const evaluator evaluate(model, spec);
  struct part {
    double bound = 0, at_values = 0;
    rational worst;
    std::uint64_t checked = 0;  // values some input of [low, high] rounds to, each evaluated
  };
  const std::size_t n = codes.size();
  const std::vector<part> parts = map_units(
      n, 64, threads,
      [&](std::uint64_t lo, std::uint64_t hi) {
        part p;
        for (std::uint64_t i = lo; i < hi; ++i) {
          const rational v = value_of(codes[i]);
          // The inputs that round to v lie strictly between its neighbours (any mode), within the
          // midpoints for the nearest modes; beyond the ends of the format, within [low, high].
          rational left = i > 0 ? value_of(codes[i - 1]) : rational(low),
                   right = i + 1 < n ? value_of(codes[i + 1]) : rational(high);
          if (nearest) {
            if (i > 0) left = (left + v) / 2;
            if (i + 1 < n) right = (v + right) / 2;
          }
          left = std::max(left, rational(low));
          right = std::min(right, rational(high));
          if (left > right) continue;  // no input of [low, high] rounds to v
          rvector x(1);
          x(0) = v;
          const evaluation e = evaluate(x);
          const double out = e.output(0, 0);
          if (!std::isfinite(out))
            throw std::domain_error("verify_interval: the network's output at " +
                                    to_fraction_string(v) + " is not finite");
          const double err = std::abs(out - f.value(static_cast<double>(v), 0));
          const double reach =
              static_cast<double>(std::max(rational(abs(v - left)), rational(abs(right - v))));
          const double bound = err + f.lipschitz * reach * (1 + 1e-15) +
                               1e-12;  // 1e-12: the target's own evaluation in double
          if (p.checked == 0 || bound > p.bound) {
            p.bound = bound;
            p.worst = v;
          }
          p.at_values = std::max(p.at_values, err);
          ++p.checked;
        }
        return p;
      },
      [](const part& p) {
        byte_writer w;
        w.put(p.bound).put(p.at_values).put(to_fraction_string(p.worst)).put(p.checked);
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader r(bytes);
        part p;
        p.bound = r.get<double>();
        p.at_values = r.get<double>();
        p.worst = parse_rational(r.get_string());
        p.checked = r.get<std::uint64_t>();
        return p;
      });
  interval_check c{low, high, 0, 0, 0, 0, "values + lipschitz"};
  for (const auto& p : parts) {
    if (p.checked == 0) continue;
    if (c.values == 0 || p.bound > c.sup_error) {
      c.sup_error = p.bound;
      c.worst = p.worst;
    }
    c.largest_at_values = std::max(c.largest_at_values, p.at_values);
    c.values += p.checked;
  }
  return c;
}

// --- precision search ------------------------------------------------------------------------

format_family format_family::pattern(std::string_view name_pattern, int low, int high) {
  const auto at = name_pattern.find("{}");
  if (at == std::string_view::npos)
    throw std::invalid_argument("format_family: the pattern '" + std::string(name_pattern) +
                                "' has no {}");
  if (low > high) throw std::invalid_argument("format_family: low > high");
  format_family f;
  for (int k = low; k <= high; ++k)
    f.levels.push_back(parse_format(std::string(name_pattern.substr(0, at)) + std::to_string(k) +
                                    std::string(name_pattern.substr(at + 2))));
  std::stable_sort(f.levels.begin(), f.levels.end(),
                   [](const format& a, const format& b) { return a.bits() < b.bits(); });
  return f;
}

format_family format_family::list(const std::vector<std::string>& names) {
  format_family f;
  for (const auto& n : names) f.levels.push_back(parse_format(n));
  std::stable_sort(f.levels.begin(), f.levels.end(),
                   [](const format& a, const format& b) { return a.bits() < b.bits(); });
  return f;
}

namespace {

// Input k traced under `spec` (as verify evaluates it).
evaluation traced_run(const network& model, const precision_spec& spec, const task& t,
                      const input_space& space, std::uint64_t k, std::uint64_t first_site) {
  evaluation_options o;
  o.trace = true;
  o.first_site = first_site + k * batch_site_stride;
  return std::visit(
      [&](const auto& m) -> evaluation {
        const evaluator e(m, spec);
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, mlp>) {
          return e(space.vector(k), o);
        } else {
          o.last_position_only = !t.every_position;
          return e(std::span<const int>(space.tokens(k)), o);
        }
      },
      model);
}

precision_spec with_format(const precision_spec& reference, quantity q, const format& f) {
  precision_spec s = reference;
  s.formats[static_cast<std::size_t>(q)] = f;
  s.name = reference.name + " with " + std::string(to_string(q)) + " " + f.name();
  return s;
}

}  // namespace

precision_search search_precision(const network& model, const precision_spec& reference,
                                  const task& t, const input_space& space, const readout& r,
                                  const std::vector<std::pair<quantity, format_family>>& families,
                                  const precision_options& options) {
  if (reference.arithmetic != arithmetic::rounded)
    throw std::invalid_argument(
        "search_precision: the reference spec must be in rounded arithmetic");
  precision_search out;
  // A level reports its first failure only: one counterexample traced, not the default four.
  verify_options check = options.check;
  check.max_counterexamples = 1;
  {
    verify_options quick = options.check;
    quick.max_counterexamples = 0;
    quick.trace_counterexamples = false;
    out.reference_wrong = verify(model, reference, t, space, r, quick).wrong;
  }
  for (const auto& [q, family] : families) {
    if (family.levels.empty())
      throw std::invalid_argument("search_precision: an empty family for " +
                                  std::string(to_string(q)));
    quantity_precision qp;
    qp.q = q;
    for (const format& f : family.levels) {
      const task_check c = verify(model, with_format(reference, q, f), t, space, r, check);
      precision_level level{f.name(), f.bits(), c.wrong, c.correct(), std::nullopt};
      if (!c.counterexamples.empty()) {
        level.first_failure = c.counterexamples.front();
        counterexample& ce = *level.first_failure;
        if (ce.traced) {
          try {
            ce.reference_divergence = first_divergence(
                *ce.traced, traced_run(model, reference, t, space, ce.index, check.first_site));
          } catch (const std::domain_error&) {  // the reference fails on it too: no comparison
          } catch (const std::overflow_error&) {
          }
        }
      }
      qp.levels.push_back(std::move(level));
    }
    // The lowest level from which every level up is correct.
    std::optional<std::size_t> from;
    for (std::size_t i = qp.levels.size(); i-- > 0;) {
      if (!qp.levels[i].correct) break;
      from = i;
    }
    if (from) {
      qp.minimal_bits = qp.levels[*from].bits;
      if (*from > 0) qp.below = *from - 1;
      for (std::size_t i = 0; i + 1 < *from; ++i)
        qp.non_monotone = qp.non_monotone || qp.levels[i].correct;
    }
    out.quantities.push_back(std::move(qp));
  }
  // The bottleneck: the first quantity correct at no level, else the one needing most bits.
  const quantity_precision* bottleneck = nullptr;
  for (const auto& qp : out.quantities) {
    if (!qp.minimal_bits) {
      bottleneck = &qp;
      break;
    }
    if (!bottleneck || *qp.minimal_bits > *bottleneck->minimal_bits) bottleneck = &qp;
  }
  if (bottleneck) out.bottleneck = std::string(to_string(bottleneck->q));
  if (options.budget_bits > 0) {
    // Every assignment of one level per quantity within the budget, by total bits (then by
    // the levels, lexicographically), checked until one is correct.
    std::vector<std::vector<std::size_t>> assignments{{}};
    for (const auto& [q, family] : families) {
      std::vector<std::vector<std::size_t>> next;
      for (const auto& a : assignments)
        for (std::size_t i = 0; i < family.levels.size(); ++i) {
          auto b = a;
          b.push_back(i);
          next.push_back(std::move(b));
        }
      assignments = std::move(next);
      if (assignments.size() > 10'000'000)
        throw std::invalid_argument("search_precision: too many joint assignments");
    }
    const auto total = [&](const std::vector<std::size_t>& a) {
      int bits = 0;
      for (std::size_t j = 0; j < a.size(); ++j) bits += families[j].second.levels[a[j]].bits();
      return bits;
    };
    std::erase_if(assignments, [&](const auto& a) { return total(a) > options.budget_bits; });
    std::stable_sort(assignments.begin(), assignments.end(), [&](const auto& a, const auto& b) {
      return total(a) != total(b) ? total(a) < total(b) : a < b;
    });
    verify_options quick = options.check;
    quick.max_counterexamples = 0;
    quick.trace_counterexamples = false;
    for (const auto& a : assignments) {
      if (out.joint.assignments_checked >= options.max_assignments) break;
      precision_spec s = reference;
      for (std::size_t j = 0; j < a.size(); ++j)
        s = with_format(s, families[j].first, families[j].second.levels[a[j]]);
      ++out.joint.assignments_checked;
      if (!verify(model, s, t, space, r, quick).correct()) continue;
      out.joint.found = true;
      out.joint.total_bits = total(a);
      for (std::size_t j = 0; j < a.size(); ++j)
        out.joint.formats[std::string(to_string(families[j].first))] =
            families[j].second.levels[a[j]].name();
      break;
    }
  }
  return out;
}

}  // namespace fpx
