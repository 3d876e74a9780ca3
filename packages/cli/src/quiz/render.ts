// What `milab quiz` prints: the result with every option's explanation (text), the result as
// JSON, and the question sheet as JSON (for tools that ask the questions themselves: no answers).
import type { Lab } from '@milab/labs';
import type { Paper, QuizResult } from './paper.js';

/** The version of the JSON `milab quiz --json` writes; bump it on any change that removes or renames a field. */
export const QUIZ_JSON_SCHEMA_VERSION = 1;

const kind = (type: 'single' | 'multiple') => (type === 'single' ? 'choose one' : 'choose all that apply');

/** The result as text: the score, then per question what was chosen and why each option is right or wrong. */
export function resultText(lab: Lab, result: QuizResult): string {
  const lines = [
    `Lab ${lab.id} quiz — ${lab.title} (seed ${result.paper.seed})`,
    `Score: ${result.correct} of ${result.total} right (${result.percent} %)`,
    '',
  ];
  for (const { question, chosen, right } of result.results) {
    lines.push(`${question.number}. ${right ? 'RIGHT' : 'WRONG'} (${kind(question.type)}; you chose ${chosen.join('+') || 'nothing'}) ${question.stem}`);
    for (const option of question.options) {
      const marks = [option.correct ? 'correct' : 'wrong', ...(chosen.includes(option.letter) ? ['your answer'] : [])].join(', ');
      lines.push(`   ${option.letter}) ${option.text}  [${marks}]`, `      ${option.explanation}`);
    }
    lines.push(`   Learn: ${question.learn}`, '');
  }
  const wrong = result.results.filter((r) => !r.right).map((r) => r.question.number);
  lines.push(
    wrong.length === 0
      ? `All right. Next: ./milab grade ${lab.id} checks the lab itself; the same order again: ./milab quiz ${lab.id} --seed ${result.paper.seed}`
      : `Read the explanations of question${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')} and the Learn pages, then try again: ./milab quiz ${lab.id} --seed ${result.paper.seed} (the same order) or ./milab quiz ${lab.id} (a new one).`,
  );
  return `${lines.join('\n')}\n`;
}

/** The result as JSON (ends with a newline). */
export function resultJson(lab: Lab, result: QuizResult): string {
  return `${JSON.stringify(
    {
      schemaVersion: QUIZ_JSON_SCHEMA_VERSION,
      lab: lab.id,
      title: lab.title,
      seed: result.paper.seed,
      score: { correct: result.correct, total: result.total, percent: result.percent },
      questions: result.results.map(({ question, chosen, right }) => ({
        number: question.number,
        id: question.id,
        type: question.type,
        stem: question.stem,
        chosen,
        right,
        options: question.options.map((option) => ({ letter: option.letter, text: option.text, correct: option.correct, explanation: option.explanation })),
        learn: question.learn,
        source: question.source,
        objectives: question.objectives,
      })),
    },
    null,
    2,
  )}\n`;
}

/** The questions in the seed's order without their answers, and how to answer them (ends with a newline). */
export function sheetJson(lab: Lab, paper: Paper): string {
  return `${JSON.stringify(
    {
      schemaVersion: QUIZ_JSON_SCHEMA_VERSION,
      lab: lab.id,
      title: lab.title,
      seed: paper.seed,
      answerWith: `./milab quiz ${lab.id} --seed ${paper.seed} --answers ${paper.questions.map((q) => `${q.number}=${q.type === 'single' ? 'x' : 'x+y'}`).join(',')} --json`,
      questions: paper.questions.map((question) => ({
        number: question.number,
        id: question.id,
        type: question.type,
        stem: question.stem,
        options: question.options.map((option) => ({ letter: option.letter, text: option.text })),
        objectives: question.objectives,
      })),
    },
    null,
    2,
  )}\n`;
}
