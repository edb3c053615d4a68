// The optimizer a table's settings name, built fresh (no slots, iteration 0).
import * as de from '../../engine/index.js';
import type { OptimizerKind } from '../protocol.js';

/**
 * A new engine optimizer of `kind` with `learningRate`.
 *
 * @example
 * makeOptimizer('Adagrad', 0.1).className; // 'Adagrad'
 */
export function makeOptimizer(kind: OptimizerKind, learningRate: number): de.optimizers.Optimizer {
  const O = de.optimizers;
  switch (kind) {
    case 'SGD':
      return new O.SGD({ learningRate });
    case 'Momentum':
      return new O.Momentum({ learningRate });
    case 'Adagrad':
      return new O.Adagrad({ learningRate });
    case 'Adam':
      return new O.Adam({ learningRate });
    case 'Ftrl':
      return new O.Ftrl({ learningRate });
    case 'RMSprop':
      return new O.RMSprop({ learningRate });
  }
}
