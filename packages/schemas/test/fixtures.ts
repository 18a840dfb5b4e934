/** The seed payloads, from the repository's fixtures folder. */
export { loadSeed as loadFixture, seedNames as fixtureNames } from '../../../fixtures/seed-events.js';
