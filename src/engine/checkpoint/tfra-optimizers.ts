// The optimizers of the generated TFRA script: the Keras optimizer a dynemb optimizer matches, and
// the closest tf.tpu.experimental.embedding optimizer (or why there is none).
import { InvalidArgumentError, show } from '../errors.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import { pyNum } from './tfra-py.js';

const bool = (x: number | boolean) => (x ? 'True' : 'False');
const num = (x: number | boolean) => pyNum(Number(x));

/**
 * The Keras optimizer (legacy where TF has one) with the same rule and settings.
 *
 * @example
 * optimizerPy(new de.optimizers.SGD({ learningRate: 0.1 })); // '_keras_optimizers.SGD(learning_rate=0.1)'
 */
export function optimizerPy(o: Optimizer): string {
  const c = o.getConfig();
  switch (o.className) {
    case 'SGD':
      return `_keras_optimizers.SGD(learning_rate=${num(c.learningRate)})`;
    case 'Momentum':
      return `_keras_optimizers.SGD(learning_rate=${num(c.learningRate)}, momentum=${num(c.momentum)}, nesterov=${bool(c.useNesterov)})`;
    case 'Adagrad':
      return `_keras_optimizers.Adagrad(learning_rate=${num(c.learningRate)}, initial_accumulator_value=${num(c.initialAccumulatorValue)}, epsilon=${num(c.epsilon)})`;
    case 'Adam':
      return `_keras_optimizers.Adam(learning_rate=${num(c.learningRate)}, beta_1=${num(c.beta1)}, beta_2=${num(c.beta2)}, epsilon=${num(c.epsilon)}, amsgrad=${bool(c.amsgrad)})`;
    case 'RMSprop':
      return `_keras_optimizers.RMSprop(learning_rate=${num(c.learningRate)}, rho=${num(c.rho)}, momentum=${num(c.momentum)}, epsilon=${num(c.epsilon)}, centered=${bool(c.centered)})`;
    case 'Ftrl':
      return `_keras_optimizers.Ftrl(learning_rate=${num(c.learningRate)}, learning_rate_power=${num(c.learningRatePower)}, initial_accumulator_value=${num(c.initialAccumulatorValue)}, l1_regularization_strength=${num(c.l1RegularizationStrength)}, l2_regularization_strength=${num(c.l2RegularizationStrength)}, l2_shrinkage_regularization_strength=${num(c.l2ShrinkageRegularizationStrength)}, beta=${num(c.beta)})`;
    default:
      throw new InvalidArgumentError(`interop.toTfraPython: unknown optimizer ${show(o.className)}.`);
  }
}

/**
 * The closest tf.tpu.experimental.embedding optimizer (`code`, or `None`) and a note on how it
 * differs (`note`, plain text: the caller writes it through pyComment).
 *
 * @example
 * tpuOptimizerPy(new de.optimizers.SGD({ learningRate: 0.1 })).note; // 'the same rule'
 */
export function tpuOptimizerPy(o: Optimizer): { code: string; note: string } {
  const c = o.getConfig();
  const emb = 'tf.tpu.experimental.embedding';
  switch (o.className) {
    case 'SGD':
      return { code: `${emb}.SGD(learning_rate=${num(c.learningRate)})`, note: 'the same rule' };
    case 'Adagrad':
      return {
        code: `${emb}.Adagrad(learning_rate=${num(c.learningRate)}, initial_accumulator_value=${num(c.initialAccumulatorValue)})`,
        note: "the same rule, but the TPU kernel has no epsilon (dynemb's, as Keras's, is added to the square root)",
      };
    case 'Adam':
      return {
        code: `${emb}.Adam(learning_rate=${num(c.learningRate)}, beta_1=${num(c.beta1)}, beta_2=${num(c.beta2)}, epsilon=${num(c.epsilon)}, lazy_adam=True, sum_inside_sqrt=False)`,
        note:
          'lazy Adam; unlike Keras the TPU kernel applies no bias correction' +
          (c.amsgrad ? ' and has no amsgrad' : ''),
      };
    case 'Ftrl':
      if (Number(c.l2ShrinkageRegularizationStrength) !== 0) {
        return { code: 'None', note: 'the TPU FTRL has no l2_shrinkage_regularization_strength' };
      }
      return {
        code: `${emb}.FTRL(learning_rate=${num(c.learningRate)}, learning_rate_power=${num(c.learningRatePower)}, l1_regularization_strength=${num(c.l1RegularizationStrength)}, l2_regularization_strength=${num(c.l2RegularizationStrength)}, beta=${num(c.beta)}, initial_accumulator_value=${num(c.initialAccumulatorValue)})`,
        note: 'the same rule',
      };
    default:
      return { code: 'None', note: `tf.tpu.experimental.embedding has no ${o.className} optimizer` };
  }
}
