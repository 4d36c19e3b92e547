# Runs the fpx program and checks its output against hand-derived answers.
function(expect_output args expected)
  execute_process(COMMAND ${FPX} ${args} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fpx ${args} failed (${rc})")
  endif()
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "fpx ${args}: expected '${expected}' in:\n${out}")
  endif()
endfunction()
# 0.1 in OCP E4M3 is 13/128 = 0x1.ap-4, pattern 0 0011 101.
expect_output("round;--format;e4m3;--json;0.1" "\"value\": \"0x1.ap-4\"")
expect_output("round;--format;e4m3;--json;0.1" "\"bits\": \"0b00011101\"")
# One double-ulp above the tie between 0 and the smallest subnormal 2^-9 rounds up.
expect_output("round;--format;e4m3;0x1.0000001p-10" "0x1p-9")
# 464 is the tie between 448 and 480 (beyond the max): to even, 448.
expect_output("round;--format;e4m3;464" "0x1.cp+8")
expect_output("formats;--json" "\"max\": \"0x1.cp+8\"")
execute_process(COMMAND ${FPX} round --format e0m0 1 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "invalid format")
  message(FATAL_ERROR "a bad format must fail with a clear message, got: ${err}")
endif()
# A two-layer MLP whose every value fits fixed(8): [1 -2; 1/2 1] (3/2, -3/4) + (1/4, -1) =
# (13/4, -1), relu (13/4, 0), then 13/4 + 1/2 = 15/4.
set(mlp [=[{"type": "mlp", "layers": [{"weight": [[1, -2], ["1/2", 1]], "bias": ["1/4", -1], "activation": "relu"}, {"weight": [[1, 1]], "bias": [0.5]}]}]=])
expect_output("eval;--model;${mlp};--spec;fixed(8);--inputs;[1.5, -0.75]" "\"15/4\"")
# --trace gives each step's exact values too: the weight 1/3 (no double holds it) as "1/3".
set(third [=[{"type": "mlp", "layers": [{"weight": [["1/3"]], "activation": "identity"}]}]=])
expect_output("eval;--model;${third};--spec;exact;--inputs;[3];--trace" "\"exact\": [\n    [\n     \"1/3\"")
execute_process(COMMAND ${FPX} eval --model "${mlp}" --spec "fixed(8)" --inputs "[1]" RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "input has 1 entries, the MLP takes 2")
  message(FATAL_ERROR "a wrong input width must fail with a clear message, got: ${err}")
endif()
# fpx run: a small equality_threshold writes its CSV and manifest; at precision 2 the
# construction for n = 3 fails on 2^2 - 1 = 3 of 64 pairs.
set(run_dir ${CMAKE_CURRENT_BINARY_DIR}/cli_run)
file(REMOVE_RECURSE ${run_dir})
set(small [=[{"max_p": 2, "fixed_max_bits": 2, "search_max_bits": 2, "saturating_max_bits": 2, "largest_n_cap": 3, "class_search_max_bits": 2, "class_search_node_budget": 10000}]=])
expect_output("run;equality_threshold;--config;${small};--out;${run_dir};--threads;1" "equality_threshold")
file(READ ${run_dir}/equality_threshold/equality_threshold.csv csv)
if(NOT csv MATCHES "check,dyadic,step,float_e8,e8m1,10,2,0,3,64,3,")
  message(FATAL_ERROR "unexpected equality_threshold CSV:\n${csv}")
endif()
file(READ ${run_dir}/equality_threshold/manifest.json manifest)
if(NOT manifest MATCHES "\"git_commit\"" OR NOT manifest MATCHES "\"max_p\": 2")
  message(FATAL_ERROR "unexpected manifest:\n${manifest}")
endif()
execute_process(COMMAND ${FPX} run equality_threshold --config "{\"max_q\": 2}" --out ${run_dir}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "unknown parameter 'max_q'")
  message(FATAL_ERROR "a misspelt parameter must fail with a clear message, got: ${err}")
endif()
# A command that must fail, with `message` in what it prints to stderr.
function(expect_error args message)
  execute_process(COMMAND ${FPX} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  string(FIND "${err}${out}" "${message}" at)
  if(rc EQUAL 0 OR at EQUAL -1)
    message(FATAL_ERROR "fpx ${args} must fail saying '${message}', got (${rc}): ${err}${out}")
  endif()
endfunction()
# Stochastic rounding needs a seed, and a seed is refused without it (as in Python).
expect_error("round;--format;e4m3;--mode;stochastic;0.1" "stochastic rounding needs a seed")
expect_error("round;--format;e4m3;--seed;3;0.1" "seed is used by stochastic rounding only")
expect_output("round;--format;e4m3;--mode;stochastic;--seed;3;0.1" "0x1")
# With K random bits (stochastic:bits=K): 0.095 is 0.16 of e4m3's step above 0.09375 (0x1c), and
# one bit sees floor(0.32) = 0, so it never rounds up; K must lie in 1..32.
foreach(seed 1 2 3 4 5 6 7 8)
  expect_output("round;--format;e4m3;--mode;stochastic:bits=1;--seed;${seed};0.095" "0x1c")
endforeach()
expect_error("round;--format;e4m3;--mode;stochastic:bits=40;--seed;3;0.1" "K in 1..32")
# Any format's properties, with its overflow policy: e4m3 -> NaN, e3m4 -> inf, e2m1 saturates.
expect_output("formats;e3m4" "inf")
expect_output("formats;e3m4;--json" "\"overflow\": \"inf\"")
expect_output("formats;e4m3;--json" "\"overflow\": \"nan\"")
expect_output("formats;e2m1;--json" "\"overflow\": \"saturate\"")
expect_output("formats" "overflow")
# MX names round the values as one tensor, block by block: in mxfp4 the block of (6, 1, 0.25)
# has amax 6 = 1.5 x 2^2 and E2M1's largest exponent is 2, so its scale is 2^0 (0x7f) and 0.25
# rounds to the nearest of the subnormal 0.5 and 0: a tie, to the even 0.
expect_output("round;--format;mxfp4;--json;6;1;0.25" "\"scale\": \"0x7f\"")
expect_output("round;--format;mxfp4;--json;6;1;0.25" "\"value\": \"0x0p+0\"")
expect_error("round;--format;mxfp4;1/3" "is not one")
# Exact reading keeps a negative zero.
expect_output("round;--format;fp16;--json;--;-0" "\"value\": \"-0x0p+0\"")
expect_error("eval;--model;${mlp};--spec;fixed(8);--inputs;[1.5, -0.75];--last" "--last_position_only")
# Several input rows are a batch: each result by hand. Row 2: (1, 2) gives [1 -2; 1/2 1] (1, 2)
# + (1/4, -1) = (-11/4, 3/2), relu (0, 3/2), 3/2 + 1/2 = 2; row 1 is 15/4 as above.
expect_output("eval;--model;${mlp};--spec;fixed(8);--inputs;[[1.5, -0.75], [1, 2]]" "\"inputs\": 2")
expect_output("eval;--model;${mlp};--spec;fixed(8);--inputs;[[1.5, -0.75], [1, 2]]" "\"exact_output\": [\n    [\n     \"2\"")
# A batch of token sequences (lengths may differ): the readout is the identity, so the last
# position's output is the last token's embedding.
set(embed [=[{"type": "transformer", "token_embedding": [[1, "1/3"], [3, 4], [5, 6]], "blocks": [], "readout": {"layers": [{"weight": [[1, 0], [0, 1]]}]}}]=])
expect_output("eval;--model;${embed};--spec;exact;--tokens;[[2, 0], [1]];--last_position_only" "\"1/3\"")
expect_output("eval;--model;${embed};--spec;exact;--tokens;[[2, 0], [1]];--last_position_only" "\"4\"")
expect_error("eval;--model;${embed};--spec;exact;--tokens;[[2, 0], [5]]" "input 1: ")
# fpx quantize: int4 per channel, scale max|w| / 7 rounded into fp32. Row [7, -3.5, 0, 1] has
# scale exactly 1, so its values are its rounded levels: 7, -3.5 -> -4 (ties to even), 0, 1; the
# storage is 4 bits a weight plus a 32-bit scale per row of 4: 12 bits.
expect_output("quantize;--quantizer;int4:channel;--matrix;[[7, -3.5, 0, 1]]" "\"bits_per_parameter\": 12.0")
expect_output("quantize;--quantizer;int4:channel;--matrix;[[7, -3.5, 0, 1]]" "-4.0")
expect_output("quantize;--quantizer;mxfp4;--matrix;[[0.1, -0.5, 0.25, 1]]" "0.125")
# Whole-matrix methods by name: one BitStack block codes a signed rank-1 magnitude exactly.
expect_output("quantize;--quantizer;bitstack:blocks=1;--matrix;[[2, -4], [-1, 2]]" "\"bits_per_parameter\": 17.0")
expect_error("quantize;--quantizer;int4;--matrix;[[1, 2], [3]]" "row 1 has 1 entries")
expect_error("quantize;--quantizer;int4;--matrix;[1, \"x\"]" "not a number")
# fpx verify: a one-layer transformer for first = last over 3 tokens, length 5 (the query's bias
# 4 puts weight e^4 / (e^4 + 4) on position 0, so the attended value is within 8 / 58.6 of t_0
# and 1/2 - |t_0 - t_last| reads the answer). Exact arithmetic gets all 243 inputs right; in
# fixed(6,3) the logit 4 is beyond the format's 3.875, and the first input wrong is 0 0 0 1 1.
set(fel [=[{"blocks": [{"attention": {"heads": [{"key": {"weight": [["0", "1"]]}, "query": {"bias": ["4"], "weight": [["0", "0"]]}, "value": {"weight": [["1", "0"]]}}], "output": {"weight": [["-1"], ["0"]]}}, "mlp": {"layers": [{"activation": "relu", "weight": [["1", "0"], ["-1", "0"]]}, {"activation": "identity", "weight": [["-1", "-1"], ["0", "0"]]}]}, "mlp_residual": false}], "positional": [["0", "1"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"]], "readout": {"layers": [{"activation": "identity", "bias": ["1/2"], "weight": [["1", "0"]]}]}, "token_embedding": [["0", "0"], ["1", "0"], ["2", "0"]], "type": "transformer"}]=])
expect_output("verify;--model;${fel};--spec;exact;--task;first_equals_last;--inputs;sequences:3:5;--readout;threshold=0" "\"wrong\": 0")
expect_output("verify;--model;${fel};--spec;exact;--task;first_equals_last;--inputs;sequences:3:5;--readout;threshold=0" "\"checked\": 243")
expect_output("verify;--model;${fel};--spec;fixed(6,3);--task;first_equals_last;--inputs;sequences:3:5;--readout;threshold=0" "\"input\": \"0 0 0 1 1\"")
expect_output("verify;--model;${fel};--spec;fixed(6,3);--task;first_equals_last;--inputs;sequences:3:5;--readout;threshold=0" "\"step\": \"blocks[0].attention.heads[0].query.bias\"")
expect_error("verify;--model;${fel};--spec;exact;--task;first_equals_last;--inputs;sequences:4:5" "vocabulary has 3")
expect_error("verify;--model;${fel};--spec;exact;--task;palindrome;--inputs;sequences:3:5" "unknown task")
# fpx verify on an interval: y = x against x^2 on [0, 1] with inputs in fixed:s:2:4 (step 1/16):
# the largest |v - v^2| at the 17 values is 1/4 at v = 1/2, plus L = 2 times the half step 1/32
# (the printed bound is rounded up by about 1e-12, so its first digits are matched).
set(identity [=[{"type": "mlp", "layers": [{"weight": [["1"]], "activation": "identity"}]}]=])
expect_output("verify;--model;${identity};--spec;uniform(fixed:s:2:4);--task;square;--inputs;interval:0:1" "\"sup_error\": 0.3125")
expect_output("verify;--model;${identity};--spec;uniform(fixed:s:2:4);--task;square;--inputs;interval:0:1" "\"worst\": \"1/2\"")
expect_output("verify;--model;${identity};--spec;uniform(fixed:s:2:4);--task;square;--inputs;interval:0:1;--lipschitz;4" "\"sup_error\": 0.375")
expect_error("verify;--model;${fel};--spec;exact;--task;square;--inputs;interval:0:1" "takes a one-input MLP")
expect_error("verify;--model;${identity};--spec;exact;--task;first_equals_last;--inputs;interval:0:1" "unknown target")
expect_error("verify;--model;${identity};--spec;exact;--task;square;--inputs;interval:0:1;--lipschitz;-1" "lipschitz")
expect_error("verify;--model;${identity};--spec;exact;--task;square;--inputs;interval:0:1;--readout;sign" "no --begin, --end or --readout")
expect_output("verify;--model;${identity};--spec;uniform(fixed:s:2:4);--task;square;--inputs;interval:0:1;--lipschitz;4" "\"lipschitz_given\": true")
