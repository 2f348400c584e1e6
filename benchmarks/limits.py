import sys
from durable import engine
class H(engine.Host):
    def _run(self): pass
def trial(kind, n):
    h = H()
    rs = {}
    for k in range(n):
        if kind == 'same_attr_eq': e = {'$and':[{'t':'x'},{'a':k}]}
        elif kind == 'distinct_attr': e = {'$and':[{'t':'x'},{'$gte':{f'a{k}':0}}]}
        elif kind == 'same_attr_gte': e = {'$and':[{'t':'x'},{'$gte':{'a':k}}]}
        elif kind == 'or_pairs': e = {'$and':[{'t':'x'},{'$or':[{f'a{k}':1},{'$nex':{f'a{k}':1}}]}]}
        rs[f'r{k}'] = {'all':[{'m':e}], 'run': lambda c: None}
    h.register_rulesets({'rs': rs})
    fact = {'t':'x','sid':'1','a':0}
    fact.update({f'a{k}':1 for k in range(min(n,250))})
    try:
        h.assert_fact('rs', fact); return 'ok'
    except Exception as e:
        return f'{type(e).__name__}: {e}'[:80]
for kind in ['same_attr_eq','distinct_attr','same_attr_gte','or_pairs']:
    for n in [32, 60, 64, 65, 100, 200]:
        print(kind, n, trial(kind, n), flush=True)
