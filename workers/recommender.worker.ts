// The live recommender demo's worker: serves a RecommenderSession (src/playground/demo) to the
// page over comlink, so the model trains off the main thread.
import { expose } from 'comlink';
import { RecommenderSession } from '../src/playground/demo/session.js';

expose(new RecommenderSession());
