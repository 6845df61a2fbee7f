"""Programme money: mission cost lines, per diem and exchange rates, budgets, value for money
and the results framework (targets) a funder reports against."""
