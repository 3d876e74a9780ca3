// Writes the generated "Exam objectives" section into every lab README (between its markers,
// appended at the end when a README has none yet), from labs/exam and each lab.json. Run it after
// changing the exam data:  node --conditions=source --import tsx labs/src/exam-readmes.ts
// `--check` only reports stale READMEs (exit 1), as the self-check test does.
import { readFileSync, writeFileSync } from 'node:fs';
import { examData, examSection, staleExamReadmes, withExamSection } from './exam.js';
import { listLabs } from './manifest.js';

const check = process.argv.includes('--check');
const stale = staleExamReadmes(listLabs(), examData());
if (check) {
  for (const lab of stale) console.error(`${lab.readme}: its "Exam objectives" section is not what labs/exam generates.`);
  if (stale.length > 0) console.error('next step: node --conditions=source --import tsx labs/src/exam-readmes.ts');
  process.exitCode = stale.length > 0 ? 1 : 0;
} else {
  for (const lab of stale) {
    writeFileSync(lab.readme, withExamSection(readFileSync(lab.readme, 'utf8'), examSection(lab)));
    console.log(`updated ${lab.readme}`);
  }
  if (stale.length === 0) console.log('every lab README is up to date.');
}
