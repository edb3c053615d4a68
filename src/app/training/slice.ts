// The Training panel's slice of the app store: only what changes on a click (playing or not,
// busy, an error), never per-step data (that is in metrics.ts).
export type TrainingPhase = 'idle' | 'playing' | 'paused';

export interface TrainingSlice {
  trainPhase: TrainingPhase;
  /** A worker call (step, step back, reset) is running; the buttons wait for it. */
  trainBusy: boolean;
  trainError: string | null;
  /** The worker's description of the model it built (empty until configured). */
  trainModel: string;
  setTrain(patch: Partial<Pick<TrainingSlice, 'trainPhase' | 'trainBusy' | 'trainError' | 'trainModel'>>): void;
}

type Set = (partial: Partial<TrainingSlice>) => void;

export function createTrainingSlice(set: Set): TrainingSlice {
  return {
    trainPhase: 'idle',
    trainBusy: false,
    trainError: null,
    trainModel: '',
    setTrain: (patch) => set(patch),
  };
}
