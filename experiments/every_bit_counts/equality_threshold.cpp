// Experiment equality_threshold (proofs/every_bit_counts.md): where does
// equality stop being computable by a one-layer softmax transformer as bits are removed?
//
// Records (column `record`):
//   check        a construction verified on all 2^(2n) pairs: the dyadic one at n = p-1, p, p+1
//                (float family with an 8-bit exponent, so only the significand precision p
//                matters); the saturating one at n = b in fixed:s:1:(b-2), with its readout in
//                the same format, and the same model one bit short
//   largest_n    the largest n up to which a construction is exact, per format
//   construction_collision  the dyadic construction for n = p run with precision p-1: two
//                inputs with one Alice state whose answers differ, checked with the evaluator (a
//                failure of this construction, not a bound for the class)
//   bound        the counting bound of the class for a b-bit format (left-to-right sums, layout
//                x | y | query)
//   search       exhaustive search over the class "uniform scores, free values" (n*), per
//                format and overflow policy
//   class_bound  the counting bound of a wider class (H heads, d_v values per head, scores
//                that depend on position only or read the tokens), per total bits b
//   class_construction  the saturating construction once per value coordinate (n = H d_v b,
//                position-only scores) checked on every pair by the evaluator
//   class_search the search in a wider class (theory/class_search.hpp), per format

#include <fmt/core.h>
#include <fmt/format.h>

#include "fpx/arith/codec.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/model/precision.hpp"
#include "fpx/theory/class_search.hpp"
#include "fpx/theory/protocol_checks.hpp"
#include "fpx/theory/threshold_search.hpp"
#include "runner/experiment.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "record",       "construction", "readout",  "family", "format",   "total_bits",
    "precision",    "subtract_max", "n",        "pairs",  "failures", "alice_states",
    "final_states", "found",        "complete", "nodes",  "detail"};

struct row {
  std::string record, construction, readout, family, format;
  int total_bits = 0, precision = 0;
  bool subtract_max = false;
  int n = 0;
  std::string pairs, failures, alice_states, final_states, found, complete, nodes, detail;
  std::vector<std::string> fields() const {
    return {record,
            construction,
            readout,
            family,
            format,
            std::to_string(total_bits),
            precision ? std::to_string(precision) : "",
            subtract_max ? "1" : "0",
            std::to_string(n),
            pairs,
            failures,
            alice_states,
            final_states,
            found,
            complete,
            nodes,
            detail};
  }
};

row make(std::string record, std::string construction, std::string readout, std::string family,
         std::string format, int total_bits, int precision, bool subtract_max, int n) {
  row r;
  r.record = std::move(record);
  r.construction = std::move(construction);
  r.readout = std::move(readout);
  r.family = std::move(family);
  r.format = std::move(format);
  r.total_bits = total_bits;
  r.precision = precision;
  r.subtract_max = subtract_max;
  r.n = n;
  return r;
}

equality_construction build(const std::string& name, int n, equality_readout r) {
  return name == "dyadic" ? dyadic_equality(n, r) : integer_equality(n, r);
}

verification check(const std::string& construction, equality_readout r, const std::string& format,
                   bool subtract_max, int n, unsigned threads) {
  const equality_construction c = build(construction, n, r);
  precision_spec spec = spec_preset("uniform(" + format + ")");
  spec.subtract_max = subtract_max;
  const protocol p(c.model, spec, c.split);
  return verify(p, equality, 4, threads);
}

std::string first_failure(const verification& v) {
  return v.failing.empty() ? "" : fmt::format("x={} y={}", v.failing[0].first, v.failing[0].second);
}

// A check row's fields from the exhaustive verification.
std::vector<std::string> check_fields(row out, const verification& v) {
  out.pairs = std::to_string(v.pairs);
  out.failures = std::to_string(v.failures);
  out.alice_states = std::to_string(v.alice_states);
  out.final_states = std::to_string(v.final_states);
  out.detail = first_failure(v);
  return out.fields();
}

// The largest n such that the construction is exact for every n' <= n (0: not even n = 1).
int largest_exact_n(const std::string& construction, const std::string& format, int cap,
                    unsigned threads) {
  int n = 0;
  while (n < cap &&
         check(construction, equality_readout::step, format, false, n + 1, threads).failures == 0)
    ++n;
  return n;
}

std::string float_name(int e, int p) { return fmt::format("e{}m{}", e, p - 1); }

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const int max_p = config["max_p"];
  const int fixed_max_bits = config["fixed_max_bits"];
  const int search_max_bits = config["search_max_bits"];
  const auto budget = config["search_node_budget"].get<std::uint64_t>();
  const int largest_cap = config["largest_n_cap"];
  const int saturating_max_bits = config["saturating_max_bits"];
  const int class_search_max_bits = config["class_search_max_bits"];
  const auto class_budget = config["class_search_node_budget"].get<std::uint64_t>();
  const unsigned threads = ctx.threads();

  // 1. The dyadic construction against its prediction, p = 2..max_p.
  for (int p = 2; p <= max_p; ++p)
    ctx.cell(fmt::format("check p={}", p), [&](table_rows& rows) {
      const std::string f = float_name(8, p);
      // (without max-subtraction: every score is 0, so subtracting the maximum changes nothing)
      for (const auto r : {equality_readout::step, equality_readout::relu})
        for (int n = std::max(1, p - 1); n <= p + 1; ++n)
          rows.push_back(check_fields(
              make("check", "dyadic", std::string(to_string(r)), "float_e8", f, 8 + p, p, false, n),
              check("dyadic", r, f, false, n, threads)));
    });

  // 1b. The saturating construction at n = b in fixed:s:1:(b-2), readout in the same format,
  // and the same model with one fraction bit less (b - 1 bits).
  for (int b = 2; b <= saturating_max_bits; ++b)
    ctx.cell(fmt::format("saturating b={}", b), [&](table_rows& rows) {
      const equality_construction c = saturating_equality(b, b);
      for (int bits = b; bits >= std::max(2, b - 1); --bits) {
        const std::string f = fmt::format("fixed:s:1:{}", bits - 2);
        const protocol proto(c.model, spec_preset("uniform(" + f + ")"), c.split);
        rows.push_back(check_fields(make("check", "saturating", "difference", "fixed", f, bits, 0, false, b),
                                    verify(proto, equality, 4, threads)));
      }
    });

  // 2. The construction's collision at p - 1: the construction for n = p, run with one
  // significand bit less (a failure of this construction, not a bound for the class).
  for (int p = 3; p <= max_p; ++p)
    ctx.cell(fmt::format("construction_collision p={}", p), [&](table_rows& rows) {
      const equality_construction c = dyadic_equality(p);
      const std::string f = float_name(8, p - 1);
      const protocol proto(c.model, spec_preset("uniform(" + f + ")"), c.split);
      const auto cert = find_collision(proto, equality);
      row r = make("construction_collision", "dyadic", "step", "float_e8", f, 8 + p - 1, p - 1,
                   false, p);
      r.found = cert ? "1" : "0";
      if (cert)
        r.detail = fmt::format("x={} x'={} y={} output={} wrong=({},{})", cert->x, cert->x_other,
                               cert->y, to_fraction_string(cert->output(0, 0)), cert->wrong.first,
                               cert->wrong.second);
      rows.push_back(r.fields());
    });

  // 3. Largest exact n per format, as a function of total bits.
  for (int p = 2; p <= max_p; ++p)
    ctx.cell(fmt::format("largest_n float p={}", p), [&](table_rows& rows) {
      // The narrowest exponent (2..8 bits) at which the construction is exact at n = p.
      for (int e = 2; e <= 8; ++e) {
        const std::string f = float_name(e, p);
        if (check("dyadic", equality_readout::step, f, false, p, threads).failures != 0) continue;
        rows.push_back(make("largest_n", "dyadic", "step", "float_min_exponent", f, 1 + e + p - 1,
                            p, false, largest_exact_n("dyadic", f, largest_cap, threads))
                           .fields());
        break;
      }
    });
  for (int b = 2; b <= fixed_max_bits; ++b)
    ctx.cell(fmt::format("largest_n fixed b={}", b), [&](table_rows& rows) {
      for (const std::string construction : {"dyadic", "integer"})
        for (int i = 0; i <= b - 1; ++i) {
          const std::string f = fmt::format("fixed:s:{}:{}", i, b - 1 - i);
          rows.push_back(make("largest_n", construction, "step", "fixed", f, b, 0, false,
                              largest_exact_n(construction, f, largest_cap, threads))
                             .fields());
        }
    });

  // 4. The counting bound of the two classes, in total bits b of the accumulator format.
  ctx.cell("bounds", [&](table_rows& rows) {
    for (int b = 2; b <= std::max(fixed_max_bits, max_p + 8); ++b) {
      const precision_spec s =
          spec_preset(fmt::format("uniform(fixed:s:{}:{})", b / 2, b - 1 - b / 2));
      for (const bool position_only : {true, false}) {
        const counting_bound cb = simulation_bound(s, 1, 1, position_only);
        row r = make("bound", position_only ? "position_only_scores" : "token_scores", "",
                     "left_to_right_xyq", "", b, 0, false, static_cast<int>(cb.total_bits()));
        r.detail = fmt::format("state bits {}: EQ_n needs n bits one way", cb.total_bits());
        rows.push_back(r.fields());
      }
    }
  });

  // 5. Exhaustive search over the class: every fixed-point split under both of its overflow
  // policies (saturate, and error: any overflow fails), and every minifloat eEmM (E >= 2,
  // M >= 1) in each style: IEEE (inf and NaN), OCP's fn (NaN only, overflow to NaN), FNUZ and
  // finite (no specials, saturating; e2m1 is OCP's FP4).
  std::vector<std::pair<std::string, std::string>> formats;
  for (int b = 2; b <= search_max_bits; ++b) {
    for (int i = 0; i <= b - 1; ++i) {
      formats.emplace_back("fixed", fmt::format("fixed:s:{}:{}", i, b - 1 - i));
      formats.emplace_back("fixed_error",
                           fmt::format("fixed:s:{}:{}:overflow=error", i, b - 1 - i));
    }
    for (int e = 2; e <= b - 2; ++e)
      for (const char* style : {"ieee", "fn", "fnuz", "finite"})
        formats.emplace_back(std::string("float_") + style,
                             fmt::format("e{}m{}_{}", e, b - 1 - e, style));
  }
  for (const auto& [family, name] : formats)
    ctx.cell("search " + name, [&](table_rows& rows) {
      const format f = parse_format(name);
      for (int n = 1; n <= f.bits(); ++n) {
        const separation_search s = search_equality_separation(f, n, budget, threads);
        row r = make("search", "uniform_scores_free_values", "separation", family, name, f.bits(),
                     0, false, n);
        r.found = s.found ? "1" : "0";
        r.complete = s.complete ? "1" : "0";
        r.nodes = std::to_string(s.nodes);
        for (code_t c : s.values) {
          if (!r.detail.empty()) r.detail += ' ';
          r.detail += to_fraction_string(to_rational(f, c));
        }
        if (!s.found && s.complete) {
          // "No setting": the walk's certificate, replayed by separate code.
          const separation_replay replay = check_separation_certificate(f, n, s, threads);
          if (!replay.matches)
            throw std::logic_error("search " + name + " n=" + std::to_string(n) +
                                   ": the certificate does not replay: " + replay.reason);
          r.detail = fmt::format("certificate replayed: nodes per level {}, digest {:016x}",
                                 fmt::join(s.level_nodes, " "), s.digest);
        }
        rows.push_back(r.fields());
        if (!s.found) break;
      }
    });

  // 6. Wider classes (item 4 of issue 24): H heads, d_v values per head, position-only scores
  // or scores that read the tokens. The counting bound per class; the saturating construction
  // once per value coordinate (n = H d_v b), checked on every pair where n <= 8; the search.
  const std::vector<attention_class> classes{{1, 1, false}, {1, 1, true}, {1, 2, false}, {1, 2, true},
                                             {2, 1, false}, {2, 1, true}, {2, 2, false}, {2, 2, true}};
  ctx.cell("class bounds", [&](table_rows& rows) {
    for (int b = 2; b <= 14; ++b) {
      const precision_spec s =
          spec_preset(fmt::format("uniform(fixed:s:{}:{})", b / 2, b - 1 - b / 2));
      for (const attention_class& c : classes) {
        const counting_bound cb = simulation_bound(s, static_cast<std::size_t>(c.heads),
                                                   static_cast<std::size_t>(c.heads * c.value_dim),
                                                   !c.token_scores);
        row r = make("class_bound", c.name(), "", "left_to_right_xyq", "", b, 0, false,
                     static_cast<int>(cb.total_bits()));
        r.detail = fmt::format("state bits {}: EQ_n needs n bits one way", cb.total_bits());
        rows.push_back(r.fields());
      }
    }
  });
  for (const attention_class& c : classes)
    for (int b = 2; b * c.heads * c.value_dim <= 8; ++b)
      ctx.cell(fmt::format("class construction {} b={}", c.name(), b), [&](table_rows& rows) {
        const class_setting s = saturating_class_equality(c.heads, c.value_dim, b, c.token_scores);
        const class_check v = verify_class_setting(s.f, s.c, s.n, s.logits, s.values);
        row r = make("class_construction", c.name(), "separation", "fixed", s.f.name(), b, 0,
                     false, s.n);
        r.pairs = std::to_string(v.pairs);
        r.failures = std::to_string(v.disagreements);
        r.found = v.separates ? "1" : "0";
        r.complete = "1";
        r.detail = fmt::format("saturating construction per value coordinate; {} diagonal and {} "
                               "other output vectors; evaluator and tables disagree on {} pairs",
                               v.diagonal_outputs, v.off_outputs, v.disagreements);
        if (v.disagreements || !v.separates)
          throw std::logic_error("class construction " + c.name() + " b=" + std::to_string(b) +
                                 " fails its check");
        rows.push_back(r.fields());
      });
  // The searches, in the signed fixed-point splits that hold 1 (the query vector of the
  // token-score model), saturating: token scores with H = d_v = 1 for b = 2..max (position-only
  // scores with H = d_v = 1 are section 5's search); the classes with H d_v = 2 (both kinds of
  // score) at b = 2, and at b = 3 when max >= 4; with max >= 4 also OCP's e2m1 in the four
  // styles (token scores, H = d_v = 1). H = 2, d_v = 2 is not searched: 32,640 units at b = 2
  // already, each a tree of 256^2 candidates a level, and its n is the construction's.
  std::vector<std::tuple<attention_class, std::string, std::string>> class_runs;
  for (int b = 2; b <= class_search_max_bits; ++b)
    for (int i = 1; i <= b - 1; ++i)
      for (const attention_class& c : classes) {
        const int width = c.heads * c.value_dim;
        if (width == 1 ? c.token_scores
                       : width == 2 && (b == 2 || (b == 3 && class_search_max_bits >= 4)))
          class_runs.emplace_back(c, "fixed", fmt::format("fixed:s:{}:{}", i, b - 1 - i));
      }
  if (class_search_max_bits >= 4)
    for (const char* style : {"ieee", "fn", "fnuz", "finite"})
      class_runs.emplace_back(attention_class{1, 1, true}, std::string("float_") + style,
                              std::string("e2m1_") + style);
  for (const auto& [c, family, name] : class_runs)
    ctx.cell("class search " + c.name() + " " + name, [&](table_rows& rows) {
      const format f = parse_format(name);
      for (int n = 1; n <= 12; ++n) {
        const class_search s = search_class_separation(f, c, n, class_budget, threads);
        row r = make("class_search", c.name(), "separation", family, name, f.bits(), 0, false, n);
        r.found = s.found ? "1" : "0";
        r.complete = s.complete ? "1" : "0";
        r.nodes = std::to_string(s.nodes);
        if (s.found) {
          r.detail = "logits";
          for (code_t v : s.logits) r.detail += " " + to_fraction_string(to_rational(f, v));
          r.detail += "; values";
          for (code_t v : s.values) r.detail += " " + to_fraction_string(to_rational(f, v));
        } else {
          r.detail = fmt::format("{} candidates per (position, bit); nodes per level {}, digest "
                                 "{:016x} (not replayed)",
                                 s.candidates, fmt::join(s.level_nodes, " "), s.digest);
        }
        rows.push_back(r.fields());
        if (!s.found) break;
      }
    });
}

}  // namespace

definition equality_threshold() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
