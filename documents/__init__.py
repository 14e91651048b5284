"""Official documents (移送函, 回执, 奖励审批表 ...) rendered from templates as printable HTML."""
