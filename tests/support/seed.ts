/** The ten seed posts' titles, newest first, exactly as the blog archive gives them. */
export const SEED_TITLES = [
  'Why the North Korea–China trade increase could be an illusion',
  'Yet another North Korea–China border opening report (including tourism)',
  'As Chinese ambassador arrives, is North Korea opening up?',
  'What upgrades of North Korea’s surveillance equipment say about policies and priorities',
  'North Korean imports from China turning toward food',
  'North Korea reportedly sending more workers to occupied Ukraine',
  'North Korean trade with China in September highest since Covid-19 began',
  'North Korean workers selected to go to Russian-occupied Ukraine, will go in November',
  'North Korea-China trade officially reopened',
  'North Korea denies weapons sales to Russia',
];
