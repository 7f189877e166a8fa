export default function ImportPage() {
  return (
    <main className="page">
      <h1>Import</h1>
      <p>Coming next.</p>
    </main>
  );
}
