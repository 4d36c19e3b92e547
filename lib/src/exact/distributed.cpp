#include "fpx/exact/distributed.hpp"

#include <atomic>

namespace fpx {
namespace {

std::atomic<unit_distributor*> installed{nullptr};
thread_local bool in_unit = false;

}  // namespace

unit_distributor* unit_distributor_in_use() {
  return in_unit ? nullptr : installed.load(std::memory_order_acquire);
}

inside_unit_scope::inside_unit_scope() : previous_(in_unit) { in_unit = true; }

inside_unit_scope::~inside_unit_scope() { in_unit = previous_; }

unit_distributor_scope::unit_distributor_scope(unit_distributor* d)
    : previous_(installed.exchange(d)) {}

unit_distributor_scope::~unit_distributor_scope() { installed.store(previous_); }

}  // namespace fpx
